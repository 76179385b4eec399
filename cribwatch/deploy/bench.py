"""Benchmark helpers: percentiles of repeated timings and peak resident memory."""

from __future__ import annotations

import resource
import sys
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
    """Peak resident set size of this process so far (MB)."""
    r = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return r / (1024.0 * 1024.0) if sys.platform == "darwin" else r / 1024.0


def child_peak_rss_mb(cmd: list[str], stdin_path: str | None = None) -> tuple[float, int, bytes]:
    """Run ``cmd`` (stdin from ``stdin_path``); returns (its own peak RSS in MB, exit code,
    stdout), the RSS read from ``wait4`` of that one child."""
    import os
    import subprocess
    import tempfile

    with tempfile.TemporaryFile() as out:
        fin = open(stdin_path, "rb") if stdin_path else None  # noqa: SIM115
        try:
            p = subprocess.Popen(cmd, stdin=fin, stdout=out, stderr=subprocess.DEVNULL)
            _, status, ru = os.wait4(p.pid, 0)
        finally:
            if fin:
                fin.close()
        p.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        data = out.read()
    rss = ru.ru_maxrss / (1024.0 * 1024.0) if sys.platform == "darwin" else ru.ru_maxrss / 1024.0
    return rss, p.returncode, data
