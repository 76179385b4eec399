"""Child processes that die with their parent: every C program, compiler, qemu and valgrind run
of the board tools goes through here.

Each child starts in a process group of its own; when the caller leaves by an exception
(KeyboardInterrupt and SIGTERM included, once turned into an exception) or a timeout, the whole
group is killed and reaped, so no valgrind or ``cw_cry`` run outlives the CLI that started it.
On Linux each child also asks the kernel for SIGKILL when its parent dies (``PR_SET_PDEATHSIG``),
which covers a parent killed by a signal it cannot catch.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from cribwatch.errors import CribwatchError

_PR_SET_PDEATHSIG = 1


def _die_with_parent() -> None:  # runs in the child between fork and exec
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    except (OSError, AttributeError):
        pass


def kill_group(proc: subprocess.Popen[Any]) -> None:
    """SIGKILL the process group of ``proc`` (started with ``start_new_session``) and reap it."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)
    with contextlib.suppress(Exception):
        proc.wait(timeout=5)


@contextlib.contextmanager
def child(cmd: Sequence[str], **popen: Any) -> Iterator[subprocess.Popen[Any]]:
    """``subprocess.Popen`` in a new process group; the group is killed if the body raises.

    After a normal exit of the body the child is waited for (it should have ended)."""
    try:
        proc = subprocess.Popen(
            list(cmd),
            start_new_session=True,
            preexec_fn=_die_with_parent if sys.platform == "linux" else None,
            **popen,
        )
    except OSError as exc:
        raise CribwatchError(f"{cmd[0]}: cannot run ({exc.strerror or exc})") from exc
    try:
        yield proc
    except BaseException:
        kill_group(proc)
        raise
    finally:
        for stream in (proc.stdin, proc.stdout, proc.stderr):
            if stream is not None:
                with contextlib.suppress(OSError):
                    stream.close()
    proc.wait()


def run_child(
    cmd: Sequence[str],
    *,
    input: bytes | None = None,
    timeout: float | None = None,
    capture: bool = True,
    cwd: Path | None = None,
) -> subprocess.CompletedProcess[bytes]:
    """Run ``cmd`` to its end like ``subprocess.run`` (stdout/stderr captured as bytes unless
    ``capture`` is false), in its own process group: an exception or a ``timeout`` (seconds)
    kills the group. A timeout raises CribwatchError naming the program."""
    pipe = subprocess.PIPE if capture else None
    stdin = subprocess.PIPE if input is not None else (subprocess.DEVNULL if capture else None)
    with child(cmd, stdin=stdin, stdout=pipe, stderr=pipe, cwd=cwd) as proc:
        try:
            out, err = proc.communicate(input, timeout=timeout)
        except subprocess.TimeoutExpired:
            kill_group(proc)
            raise CribwatchError(
                f"{Path(cmd[0]).name}: no result after {timeout:g} s (killed)"
            ) from None
    return subprocess.CompletedProcess(list(cmd), proc.returncode, out or b"", err or b"")
