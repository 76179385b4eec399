"""The per-camera state file (``--state camera.json``): validated and versioned.

::

    {"format": "cribwatch-camera", "version": 1, "name": "nursery",
     "rotation": 0, "mirrored": false,
     "daynight": "auto",                       # auto (told from the frames) | day | night
     "gray_threshold": 0.02,                   # mean chroma below this: an IR (grey) frame
     "daynight_hold_s": 2.0,                   # a switch must hold this long
     "preset": "default",                      # the camera's current PTZ preset
     "references": [["default", "day.png"]],   # the reference bank: [preset, image path]
     "learn_reference_s": 60.0,                # in day mode, take a new reference this often
     "cry_threshold": null,                    # null: the cry model card's threshold
     "prone_limit_s": null, "nobody_s": null}

Every key is optional; unknown keys, wrong types, non-finite numbers and out-of-range values are
refused naming the file and the key (:func:`cribwatch.cards.from_mapping`). Relative reference
paths are taken from the state file's folder. The monitor writes the file back (atomically,
with ``written_by``) when it learns a day reference, so the bank survives a restart.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, ClassVar

from cribwatch import cards
from cribwatch.errors import CribwatchError
from cribwatch.io import OUTPUT_MARK, read_json_object, write_json

STATE_FORMAT = "cribwatch-camera"
STATE_VERSION = 1


@dataclass(frozen=True)
class CameraState:
    """One camera's settings (see the module doc for the file)."""

    format: str = STATE_FORMAT
    version: int = STATE_VERSION
    name: str = "camera"
    """Name used in alerts, MQTT topics and the page."""
    rotation: int = 0
    """Clockwise rotation applied to every frame (0, 90, 180, 270)."""
    mirrored: bool = False
    """The image is mirrored (left/right swapped): flipped back before pose."""
    daynight: str = "auto"
    """``auto``: told from the frames (IR frames are grey); ``day`` or ``night``: forced."""
    gray_threshold: float = 0.02
    """Mean chroma (max - min of R, G, B, in [0, 1]) under which a frame counts as IR grey."""
    daynight_hold_s: float = 2.0
    """A day/night switch must hold this long (seconds of stream) before it is taken."""
    preset: str = "default"
    """The current camera preset (PTZ position): which reference of the bank is used."""
    references: tuple[tuple[str, str], ...] = ()
    """The reference bank: ``[preset, image path]`` pairs (day colour images)."""
    learn_reference_s: float = 60.0
    """In day mode, take a new reference for the current preset this often (0: never)."""
    cry_threshold: float | None = None
    """Cry score threshold (``null``: the shipped detector config)."""
    prone_limit_s: float | None = None
    """A prone episode this long raises ``prone_too_long`` (``null``: the roll-over detector's
    default)."""
    nobody_s: float | None = None
    """Nobody found this long (with pose on) raises ``nobody_in_view`` (0: never; ``null``: the
    roll-over detector's default)."""

    BOUNDS: ClassVar[dict[str, tuple[float | None, float | None]]] = {
        "version": (STATE_VERSION, STATE_VERSION),
        "gray_threshold": (0.0, 1.0),
        "daynight_hold_s": (0.0, 3600.0),
        "learn_reference_s": (0.0, 86400.0),
        "cry_threshold": (0.0, 1.0),
        "prone_limit_s": (1.0, 3600.0),
        "nobody_s": (0.0, 86400.0),
    }
    CHOICES: ClassVar[dict[str, tuple[str, ...]]] = {
        "format": (STATE_FORMAT,),
        "daynight": ("auto", "day", "night"),
    }

    def __post_init__(self) -> None:
        if self.rotation not in (0, 90, 180, 270):
            raise CribwatchError(f"rotation must be 0, 90, 180 or 270, not {self.rotation}")
        if not self.name or any(c in self.name for c in "/#+\x00") or len(self.name) > 64:
            raise CribwatchError(f"name {self.name!r}: 1 to 64 characters, none of '/', '#', '+'")
        seen = set()
        for preset, path in self.references:
            if not preset or not path:
                raise CribwatchError("references: each item is [preset, image path], both set")
            if preset in seen:
                raise CribwatchError(f"references: preset {preset!r} listed twice")
            seen.add(preset)

    def reference_paths(self, base: Path | None = None) -> list[tuple[str, Path]]:
        """Every preset's reference image as ``(preset, path)``, relative paths taken from
        ``base``; the current preset's last."""
        refs = [(p, r) for p, r in self.references if p != self.preset]
        refs += [(p, r) for p, r in self.references if p == self.preset]
        return [
            (p, Path(r) if Path(r).is_absolute() or base is None else base / r) for p, r in refs
        ]

    def reference_path(self, base: Path | None = None) -> Path | None:
        """The reference image of the current preset, or None."""
        mine = [p for preset, p in self.reference_paths(base) if preset == self.preset]
        return mine[0] if mine else None

    def with_reference(self, path: str) -> CameraState:
        """This state with the current preset's reference set to ``path``."""
        refs = [(p, r) for p, r in self.references if p != self.preset]
        return replace(self, references=(*refs, (self.preset, path)))


def load_state(path: str | os.PathLike[str] | None) -> CameraState:
    """The state in ``path`` (validated), or the defaults when ``path`` is None or absent."""
    if path is None:
        return CameraState()
    p = Path(path)
    if not p.exists():
        return CameraState()
    if p.is_dir():
        raise CribwatchError(f"--state {p}: is a folder, not a JSON file")
    data: dict[str, Any] = read_json_object(p)
    if data.get("format") != STATE_FORMAT:
        raise CribwatchError(f'{p}: not a camera state file (want "format": "{STATE_FORMAT}")')
    if data.get("version") != STATE_VERSION:
        raise CribwatchError(
            f"{p}: state file version {data.get('version')!r} "
            f"(this cribwatch reads {STATE_VERSION})"
        )
    return cards.from_mapping(CameraState, data, p)


def save_state(path: str | os.PathLike[str], state: CameraState) -> None:
    """Write ``state`` atomically (with ``written_by``)."""
    data = cards.to_mapping(state)
    data["references"] = [list(x) for x in state.references]
    write_json(path, {**data, "written_by": OUTPUT_MARK})
