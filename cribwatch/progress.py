"""The one progress protocol of long library work.

Library functions take ``progress: Progress | None`` and call ``progress(done, total)`` after
each unit of work (``total`` is ``None`` when unknown). They never print: the CLI passes a
progress bar (``cribwatch.clikit.progress_bar``), tests pass a list's ``append`` via
:func:`collect`, and the default :data:`NO_PROGRESS` does nothing.
"""

from __future__ import annotations

from typing import Protocol


class Progress(Protocol):
    """Called after each unit of work: ``done`` units of ``total`` (``None``: unknown)."""

    def __call__(self, done: int, total: int | None = None, /) -> None: ...


def _nothing(done: int, total: int | None = None) -> None:
    return None


NO_PROGRESS: Progress = _nothing


def report(progress: Progress | None, done: int, total: int | None = None) -> None:
    """Call ``progress`` when one was given."""
    if progress is not None:
        progress(done, total)
