"""Colour-network checkpoints and weights files: written atomically, read without running code.

A checkpoint (``cribwatch color train --out``) and a shipped weights file (``color ship``,
``cribwatch/weights/color_*.pt``) are one ``torch.save`` dict of tensors and plain values
(``format: "cribwatch-colornet"``, ``config``, ``ssim_config``, ``model`` (state dict), and for
training runs the optimizer state, step, history and RNG states). They are read with
``torch.load(weights_only=True)``: a file that holds anything else (a pickled object, a
payload that would run code) is refused with one error naming the file, and nothing in it runs.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch

from cribwatch.cards import IGNORED_KEYS
from cribwatch.errors import CribwatchError
from cribwatch.io import OUTPUT_MARK, atomic_path

CKPT_FORMAT = "cribwatch-colornet"
CKPT_VERSION = 1


def save_checkpoint(path: Path, state: dict[str, Any]) -> None:
    """Write a checkpoint atomically (temporary file beside ``path``, then rename), with the
    output marker (``written_by``) so a verb may later replace it without ``--force``."""
    with atomic_path(path) as tmp:
        torch.save({**state, "written_by": OUTPUT_MARK}, tmp)


def _reason(exc: BaseException) -> str:
    text = str(exc)
    if "Weights only load failed" in text or "Unsupported global" in text:
        return "it holds objects other than tensors and plain values; nothing in it was run"
    first = text.splitlines()[0].strip() if text.strip() else ""
    return (first[:160] or type(exc).__name__).rstrip(".")


def load_checkpoint(path: Path) -> dict[str, Any]:
    """Read a checkpoint written by :func:`save_checkpoint` (or a shipped weights file) with
    ``weights_only=True``; anything else raises CribwatchError naming ``path``."""
    p = Path(path)
    if not p.exists():
        raise CribwatchError(f"{p}: checkpoint not found")
    if not p.is_file():
        raise CribwatchError(f"{p}: not a file")
    try:
        state = torch.load(p, map_location="cpu", weights_only=True)
    except Exception as exc:  # noqa: BLE001 - any unpickling failure is bad input
        raise CribwatchError(
            f"{p}: not a readable cribwatch colour checkpoint ({_reason(exc)})"
        ) from exc
    if not isinstance(state, dict) or state.get("format") != CKPT_FORMAT:
        raise CribwatchError(f"{p}: not a cribwatch colour-network checkpoint")
    for key, kind in (("config", dict), ("ssim_config", dict), ("model", dict)):
        if not isinstance(state.get(key), kind):
            raise CribwatchError(f"{p}: colour checkpoint without a valid {key!r} entry")
    return {k: v for k, v in state.items() if k not in IGNORED_KEYS}
