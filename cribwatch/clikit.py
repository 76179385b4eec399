"""What every CLI module shares: one error handler, option checks, progress bars, --force.

CLI modules (``cli.py`` files and ``python -m`` entry points) parse, call one library function
and print. Errors become one ``error: ...`` line on stderr and exit code 2 through
:func:`run` / :func:`handle_errors`; this module is the only one beside the CLIs that prints.
"""

from __future__ import annotations

import contextlib
import math
import os
import sys
import warnings
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

import typer
from tqdm import tqdm

from cribwatch.errors import CribwatchError
from cribwatch.progress import Progress

T = TypeVar("T")

FORCE_HELP = "Replace an existing output that cribwatch did not write (never an input, '.', home)."


def force_option() -> Any:
    """The one ``--force`` option every writing verb offers."""
    return typer.Option(False, "--force", help=FORCE_HELP)


def fail(message: str) -> None:
    """Print one ``error:`` line and exit 2."""
    sys.stderr.write(f"error: {message}\n")
    sys.stderr.flush()
    raise SystemExit(2)


@contextlib.contextmanager
def handle_errors() -> Iterator[None]:
    """Turn CribwatchError into one ``error:`` line and exit code 2 (and mute library warnings)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yield
    except CribwatchError as exc:
        fail(exc.message)


def run(fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """Call ``fn`` under :func:`handle_errors` (for ``python -m`` entry points)."""
    with handle_errors():
        return fn(*args, **kwargs)
    raise AssertionError("unreachable")  # pragma: no cover


# ----------------------------------------------------------------------------- option checks


def check_number(
    option: str,
    value: float | int | None,
    *,
    low: float | None = None,
    high: float | None = None,
    low_open: bool = False,
    integer: bool = False,
) -> None:
    """Refuse a non-finite or out-of-range option value with one line naming ``option``."""
    if value is None:
        return
    ok = isinstance(value, int) or math.isfinite(value)
    if ok and low is not None:
        ok = value > low if low_open else value >= low
    if ok and high is not None:
        ok = value <= high
    if not ok:
        lo = "" if low is None else (f"> {low:g}" if low_open else f">= {low:g}")
        hi = "" if high is None else f"<= {high:g}"
        rule = " and ".join(x for x in (lo, hi) if x) or "finite"
        kind = "an integer" if integer else "a finite number"
        raise CribwatchError(f"{option}: must be {kind} {rule}, not {value!r}")


def positive(option: str, value: float | int | None) -> None:
    """``option`` must be finite and > 0."""
    check_number(option, value, low=0, low_open=True)


def non_negative(option: str, value: float | int | None) -> None:
    """``option`` must be finite and >= 0."""
    check_number(option, value, low=0)


def rate(option: str, value: float | None) -> None:
    """``option`` must be in [0, 1]."""
    check_number(option, value, low=0, high=1)


def one_of(option: str, value: str | None, allowed: tuple[str, ...] | list[str]) -> None:
    """``option`` must be one of ``allowed``."""
    if value is not None and value not in allowed:
        raise CribwatchError(f"{option}: unknown value {value!r} (one of {', '.join(allowed)})")


# ----------------------------------------------------------------------------- progress


@contextlib.contextmanager
def progress_bar(
    desc: str, total: int | None = None, *, enabled: bool = True
) -> Iterator[Progress]:
    """A tqdm bar on stderr as a :class:`cribwatch.progress.Progress` callable.

    Drawn only when stderr is a terminal and only from the first report on, so a log file, a
    test that reads stderr, or a run that fails before any work sees only the ``error:`` line,
    never bar residue.
    """
    enabled = enabled and sys.stderr.isatty()
    bars: list[Any] = []

    def update(done: int, total_now: int | None = None, /) -> None:
        if not enabled:
            return
        if not bars:
            bars.append(tqdm(total=total, desc=desc, file=sys.stderr, leave=False))
        bar = bars[0]
        if total_now is not None and bar.total != total_now:
            bar.total = total_now
        bar.n = done
        bar.refresh()

    try:
        yield update
    finally:
        for bar in bars:
            bar.close()


def quiet_native_logs() -> None:
    """Silence native libraries' log lines on stderr (TFLite, MediaPipe, glog)."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    os.environ.setdefault("GLOG_minloglevel", "3")
    os.environ.setdefault("GLOG_logtostderr", "0")
