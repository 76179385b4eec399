"""A bank of day references: per night frame, the one that matches best after alignment.

A camera sees its room from one or several views (pan-tilt presets) and the room changes
over days; a few day frames per day and per preset make a bank. For a night frame the bank
aligns each held reference (:func:`cribwatch.color.align.align`) and picks the one whose
structure agrees best (the highest confidence among those that match the view); new day
frames refresh it (the oldest of the same view is dropped beyond :attr:`ReferenceBank.per_view`).

Example::

    bank = ReferenceBank()
    bank.add(day_rgb, view="preset-1")       # the monitor feeds day frames
    choice = bank.best(night)               # a BankChoice, or None when none matches
    if choice is None:
        print(bank.refusal_reason())       # why (every refusal: bank.last_refusals)
    col = Colorizer(bank.references()[0], align=True, bank=bank)
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np

from cribwatch.color.align import AlignConfig, Alignment, align, align_keep
from cribwatch.errors import CribwatchError


@dataclass
class BankEntry:
    """One held day reference."""

    image: np.ndarray
    """(h, w, 3) RGB (float in [0, 1] or uint8)."""
    view: str
    """The view (preset) it was taken from."""
    added: float
    """When it was added (seconds, ``time.time()`` unless given)."""


@dataclass
class BankChoice:
    """The reference chosen for a night frame."""

    index: int
    """Index into :meth:`ReferenceBank.references`."""
    entry: BankEntry
    alignment: Alignment
    scores: list[float] = field(default_factory=list)
    """Confidence of every held reference (NaN where it did not match)."""

    def warped(self) -> np.ndarray:
        """The chosen reference resampled onto the night frame."""
        return self.alignment.warp(self.entry.image)


@dataclass
class BankRefusal:
    """A held reference that did not match the night frame at the last
    :meth:`ReferenceBank.best`."""

    index: int
    """Index into :meth:`ReferenceBank.references`."""
    entry: BankEntry
    alignment: Alignment
    """The refused alignment (its :attr:`~cribwatch.color.align.Alignment.reasons` say why)."""

    @property
    def reason(self) -> str:
        """Why, in one line."""
        return "; ".join(self.alignment.reasons) or "its warp was not accepted"


class ReferenceBank:
    """Day references, chosen per night frame after alignment.

    Args:
        per_view: most references kept per view (the oldest is dropped).
        cfg: alignment settings (its ``min_confidence`` decides what matches).
    """

    def __init__(
        self, per_view: int = 4, cfg: AlignConfig | None = None, keep_margin: float = 0.1
    ) -> None:
        if per_view < 1:
            raise CribwatchError(f"per_view must be at least 1, not {per_view}")
        if not 0.0 <= keep_margin <= 1.0:
            raise CribwatchError(f"keep_margin must be within 0-1, not {keep_margin}")
        self.per_view = per_view
        self.cfg = cfg or AlignConfig()
        self.keep_margin = keep_margin
        """How much better (consensus) a new warp must be to replace a reference's last
        accepted one (:func:`~cribwatch.color.align.align_keep`)."""
        self._entries: list[BankEntry] = []
        self._last: dict[int, Alignment] = {}
        self.last_refusals: list[BankRefusal] = []
        """The references refused at the last :meth:`best`, oldest first (empty when all
        matched); when :meth:`best` returns None it holds every reference, with why."""
        self._tried = 0
        self.version = 0
        """Counts changes (a colorizer re-chooses when it moves)."""

    def __len__(self) -> int:
        return len(self._entries)

    def references(self) -> list[np.ndarray]:
        """The held references, oldest first."""
        return [e.image for e in self._entries]

    def add(self, image: np.ndarray, view: str = "default", when: float | None = None) -> None:
        """Hold a new day frame of ``view`` (RGB), dropping that view's oldest beyond
        :attr:`per_view`."""
        img = np.asarray(image)
        if img.ndim != 3 or img.shape[2] != 3:
            raise CribwatchError(f"a day reference must be RGB (H, W, 3), got shape {img.shape}")
        if img.dtype != np.uint8 and not np.all(np.isfinite(img)):
            raise CribwatchError("a day reference contains NaN or infinite values")
        self._entries.append(BankEntry(img, str(view), time.time() if when is None else when))
        same = [e for e in self._entries if e.view == view]
        while len(same) > self.per_view:
            oldest = min(same, key=lambda e: e.added)
            self._entries.remove(oldest)
            self._last.pop(id(oldest), None)
            same.remove(oldest)
        self.version += 1

    def best(self, night: np.ndarray, keep: bool = True) -> BankChoice | None:
        """The held reference that matches ``night`` best after alignment (highest
        confidence among those whose view matches), or None when none matches. A reference
        aligned and accepted before keeps that warp unless a new estimate is clearly better
        (:func:`~cribwatch.color.align.align_keep`, :attr:`keep_margin`): a refresh of the
        bank does not move the references already aligned. ``keep=False`` (the view has
        moved: a preset, a bumped mount) aligns every reference afresh."""
        if not self._entries:
            raise CribwatchError("the reference bank is empty (add a day frame first)")
        best: BankChoice | None = None
        scores: list[float] = []
        refused: list[BankRefusal] = []
        for i, e in enumerate(self._entries):
            last = self._last.get(id(e))
            if keep and last is not None and last.night_size == np.shape(night)[:2]:
                a = align_keep(night, e.image, last, self.cfg, self.keep_margin)
            else:
                a = align(night, e.image, self.cfg)
            if a.ok:
                self._last[id(e)] = a
            else:
                refused.append(BankRefusal(i, e, a))
            scores.append(a.confidence if a.ok else float("nan"))
            if a.ok and (best is None or a.confidence > best.alignment.confidence):
                best = BankChoice(i, e, a)
        self.last_refusals = refused
        self._tried = len(self._entries)
        if best is not None:
            best.scores = scores
        return best

    def refusal_reason(self) -> str:
        """One line on why the last :meth:`best` matched no reference: how many were tried
        and the newest one's reasons (empty when the last call matched, or none was made)."""
        if not self.last_refusals or len(self.last_refusals) < self._tried:
            return ""
        newest = self.last_refusals[-1]
        n = len(self.last_refusals)
        who = "the reference does not" if n == 1 else f"none of {n} references"
        return f"{who} match the night view ({newest.reason})"


__all__ = ["BankChoice", "BankEntry", "BankRefusal", "ReferenceBank"]
