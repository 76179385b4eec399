"""Benchmark helpers: percentiles of repeated timings and peak resident memory."""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable

import numpy as np


def time_ms(fn: Callable[[], object], n: int = 200, warmup: int = 20) -> dict[str, float]:
    """p50/p90/mean in milliseconds of ``n`` calls of ``fn`` after ``warmup`` calls."""
    for _ in range(warmup):
        fn()
    ts = np.empty(n)
    for i in range(n):
        t = time.perf_counter()
        fn()
        ts[i] = (time.perf_counter() - t) * 1000.0
    return {
        "p50": float(np.percentile(ts, 50)),
        "p90": float(np.percentile(ts, 90)),
        "mean": float(ts.mean()),
    }


def peak_rss_mb() -> float:
    """Peak resident set size of this process so far (MB).

    On Linux this is ``VmHWM`` of ``/proc/self/status``, the high-water mark of this process
    image alone: ``getrusage``'s ``ru_maxrss`` survives ``exec`` and so, in a process started
    by a large parent (a CLI that imported torch), reports the parent's size."""
    hwm = _vm_hwm_mb("self")
    if hwm is not None:
        return hwm
    return _maxrss_mb(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)


def _maxrss_mb(maxrss: int) -> float:
    """``ru_maxrss`` in MB (bytes on macOS, KiB elsewhere)."""
    return maxrss / (1024.0 * 1024.0) if sys.platform == "darwin" else maxrss / 1024.0


def _vm_hwm_mb(pid: int | str) -> float | None:
    """``VmHWM`` (peak resident set of the current program image) of a live process (a pid or
    ``"self"``), in MB; None where /proc is not available or the process has gone."""
    try:
        with open(f"/proc/{pid}/status") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024.0
    except OSError:
        return None
    return None


def child_peak_rss_mb(
    cmd: list[str], stdin_path: str | None = None, poll_s: float = 0.01
) -> tuple[float, int, bytes]:
    """Run ``cmd`` (stdin from ``stdin_path``); returns (its own peak RSS in MB, exit code,
    stdout).

    On Linux the peak is the child's ``VmHWM`` from ``/proc/<pid>/status``, read every
    ``poll_s`` while it runs (the high-water mark only grows, so the last reading is the peak
    up to the last ``poll_s``). ``ru_maxrss`` of the child is not used there: Linux carries the
    parent's peak into it at ``execve`` after ``vfork`` (what ``subprocess`` uses), so it would
    report the measuring process, not the measured one. Elsewhere ``ru_maxrss`` from ``wait4``.
    """
    with tempfile.TemporaryFile() as out:
        fin = open(stdin_path, "rb") if stdin_path else None  # noqa: SIM115
        hwm: float | None = None
        try:
            p = subprocess.Popen(cmd, stdin=fin, stdout=out, stderr=subprocess.DEVNULL)
            while True:
                pid, status, ru = os.wait4(p.pid, os.WNOHANG)
                if pid:
                    break
                v = _vm_hwm_mb(p.pid)
                if v is not None:
                    hwm = v if hwm is None else max(hwm, v)
                time.sleep(poll_s)
        finally:
            if fin:
                fin.close()
        p.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        data = out.read()
    if hwm is not None:
        return hwm, p.returncode, data
    return _maxrss_mb(ru.ru_maxrss), p.returncode, data
