"""The one alert schema of cribwatch: every alert, event and status change as one JSON object.

Version 1 (``"schema": "cribwatch-alert"``, ``"version": 1``), one object per line in
``--events`` files, the MQTT ``alert`` topic and the web page::

    {"schema": "cribwatch-alert", "version": 1,
     "type": "cry",                 # what happened (see TYPES)
     "kind": "alert",               # alert | end | event | status
     "stage": "cry",                # who decided: cry, rollover, pose, daynight, source, colour
     "stream_time": 12.345,         # seconds of stream time (monotonic over reconnects)
     "wall_time": "2026-12-06T23:01:02.345Z",   # UTC, when it was decided
     "confidence": 0.93,            # in [0, 1]
     "camera": "nursery",           # the camera's name (state file)
     "detail": {...}}               # stage-specific numbers (onset, offset, score, posture...)

Types: ``cry`` (alert: a bout confirmed; ``detail.onset``), ``cry_end`` (end: the bout closed;
``detail.onset/offset/score``), the roll-over detector's alerts ``to_prone``,
``prone_too_long``, ``face_not_visible``, ``nobody_in_view`` (the pose estimator has found
nobody for a while) and events ``to_supine``, ``to_side`` (kind ``event``), ``night``/``day``
(event: the camera switched), ``stream_down``/``stream_up`` (status), ``colour`` (status: the
colour stage's decision at night; ``detail.status`` aligning / aligned / aligning: the view
moved / refused: <why>, with the choice's numbers). Readers ignore unknown
keys; a new key is not a new version, a changed meaning is.
"""

from __future__ import annotations

import datetime as _dt
import json
import math
import os
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from cribwatch.cry.api import Alert as CryAlert
from cribwatch.cry.api import End as CryEnd
from cribwatch.errors import CribwatchError
from cribwatch.io import OUTPUT_MARK
from cribwatch.rollover.api import Event as RollEvent

SCHEMA = "cribwatch-alert"
SCHEMA_VERSION = 1
KINDS = ("alert", "end", "event", "status")
STAGES = ("cry", "rollover", "pose", "daynight", "source", "colour")
TYPES = (
    "cry", "cry_end", "to_prone", "prone_too_long", "face_not_visible", "to_supine",
    "to_side", "nobody_in_view", "night", "day", "stream_down", "stream_up", "colour",
)  # fmt: skip


def iso_utc(ts: float) -> str:
    """``ts`` (seconds since the epoch) as ISO 8601 UTC with milliseconds."""
    d = _dt.datetime.fromtimestamp(ts, tz=_dt.UTC)
    return d.strftime("%Y-%m-%dT%H:%M:%S.") + f"{d.microsecond // 1000:03d}Z"


@dataclass(frozen=True)
class Record:
    """One alert, event or status change (schema version :data:`SCHEMA_VERSION`)."""

    type: str
    kind: str
    stage: str
    stream_time: float
    confidence: float = 1.0
    wall: float = field(default_factory=time.time)
    camera: str = "camera"
    detail: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise CribwatchError(f"alert kind {self.kind!r} is not one of {', '.join(KINDS)}")
        if self.stage not in STAGES:
            raise CribwatchError(f"alert stage {self.stage!r} is not one of {', '.join(STAGES)}")
        if not math.isfinite(self.stream_time):
            raise CribwatchError("alert stream_time must be finite")

    @property
    def is_alert(self) -> bool:
        return self.kind == "alert"

    def to_dict(self) -> dict[str, Any]:
        """The JSON object (stable keys, schema version first)."""
        return {
            "schema": SCHEMA,
            "version": SCHEMA_VERSION,
            "type": self.type,
            "kind": self.kind,
            "stage": self.stage,
            "stream_time": round(self.stream_time, 3),
            "wall_time": iso_utc(self.wall),
            "confidence": round(min(max(float(self.confidence), 0.0), 1.0), 3),
            "camera": self.camera,
            "detail": self.detail,
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), sort_keys=False)


def from_cry(msg: CryAlert | CryEnd, offset: float = 0.0, camera: str = "camera",
             confidence: float = 1.0, now: float | None = None) -> Record:  # fmt: skip
    """A cry detector message as a record; ``offset``: stream time of the detector's t=0;
    ``now``: the stream time an End is known at (default: the bout's offset)."""
    if isinstance(msg, CryAlert):
        return Record("cry", "alert", "cry", offset + msg.emitted, confidence, camera=camera,
                      detail={"onset": round(offset + msg.onset, 3)})  # fmt: skip
    ev = msg.event
    return Record(
        "cry_end", "end", "cry", offset + ev.offset if now is None else now, float(ev.score),
        camera=camera,
        detail={"onset": round(offset + ev.onset, 3), "offset": round(offset + ev.offset, 3),
                "score": round(float(ev.score), 4)},
    )  # fmt: skip


def from_rollover(ev: RollEvent, camera: str = "camera") -> Record:
    """A roll-over detector event or alert as a record (times are already stream times)."""
    kind = "alert" if ev.kind == "alert" else "event"
    return Record(ev.event, kind, "rollover", ev.time, ev.confidence, camera=camera)


def validate(obj: Any, source: str = "alert") -> dict[str, Any]:
    """Check one decoded JSON line against the schema (what a consumer may rely on)."""
    if not isinstance(obj, dict):
        raise CribwatchError(f"{source}: must be a JSON object")
    if obj.get("schema") != SCHEMA or obj.get("version") != SCHEMA_VERSION:
        raise CribwatchError(f"{source}: not a {SCHEMA} version {SCHEMA_VERSION} record")
    checks: tuple[tuple[str, Any], ...] = (
        ("type", str), ("kind", str), ("stage", str), ("stream_time", (int, float)),
        ("wall_time", str), ("confidence", (int, float)), ("detail", dict),
    )  # fmt: skip
    for key, tp in checks:
        if not isinstance(obj.get(key), tp):
            raise CribwatchError(f"{source}: key {key!r} missing or of the wrong type")
    if obj["kind"] not in KINDS or obj["stage"] not in STAGES:
        raise CribwatchError(f"{source}: unknown kind or stage")
    return obj


class EventsFile:
    """``--events``: records appended as JSON lines (never truncated), each line flushed and
    synced whole, so a crash leaves only complete lines. A new file starts with a header line
    (``{"schema": "cribwatch-alert", "version": 1, "header": true, "written_by": ...}``)."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        if self.path.is_dir():
            raise CribwatchError(f"--events {self.path}: is a folder")
        try:
            self._fh: IO[str] = open(self.path, "a", encoding="utf-8")  # noqa: SIM115
        except OSError as exc:
            raise CribwatchError(
                f"--events {self.path}: cannot write ({exc.strerror or type(exc).__name__})"
            ) from exc
        self._lock = threading.Lock()
        if self._fh.tell() == 0:
            self._line({"schema": SCHEMA, "version": SCHEMA_VERSION, "header": True,
                        "written_by": OUTPUT_MARK})  # fmt: skip

    def _line(self, obj: dict[str, Any]) -> None:
        with self._lock:
            if self._fh.closed:
                return
            self._fh.write(json.dumps(obj) + "\n")
            self._fh.flush()
            try:
                os.fsync(self._fh.fileno())
            except OSError:
                pass

    def write(self, rec: Record) -> None:
        self._line(rec.to_dict())

    def close(self) -> None:
        with self._lock:
            if not self._fh.closed:
                self._fh.close()


def read_events(path: str | os.PathLike[str]) -> list[dict[str, Any]]:
    """The records of an events file (the header line skipped), each validated."""
    out = []
    for i, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        obj = json.loads(line)
        if obj.get("header"):
            continue
        out.append(validate(obj, f"{path}:{i}"))
    return out
