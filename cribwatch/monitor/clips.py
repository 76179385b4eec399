"""``--clips DIR``: a few seconds before and after each alert as an MP4 (H.264 through PyAV).

The monitor hands every displayed frame (JPEG bytes, already encoded for the page) to
:meth:`ClipRecorder.frame`; a ring keeps the last ``pre_s + post_s`` seconds. An alert at
stream time ``t`` schedules the clip ``[t - pre_s, t + post_s]``; it is written on a thread of
its own once the stream has passed ``t + post_s`` (or at close, cut short), into a temporary
file beside it that is renamed into place (atomic: a clip is whole or absent). Files are named
``cribwatch-<camera>-<UTC time>-<type>.mp4`` and carry ``written by cribwatch`` in their
metadata; only such files are ever deleted, oldest first, beyond ``keep`` (retention).
"""

from __future__ import annotations

import collections
import os
import re
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import av
import cv2
import numpy as np

from cribwatch.errors import CribwatchError
from cribwatch.io import OUTPUT_MARK, atomic_path
from cribwatch.monitor.schema import Record

CLIP_RE = re.compile(r"^cribwatch-.+-\d{8}T\d{6}(?:\d{3})?Z-[a-z_]+(?:-\d+)?\.mp4$")


@dataclass(frozen=True)
class ClipConfig:
    pre_s: float = 5.0
    """Seconds kept before the alert."""
    post_s: float = 5.0
    """Seconds recorded after the alert."""
    keep: int = 50
    """Most clips kept in the folder (oldest of ours deleted first)."""
    max_bytes: int = 2_000_000_000
    """Most bytes of clips kept in the folder."""


class ClipRecorder:
    """Keeps recent frames; writes a clip around each alert (see the module doc)."""

    def __init__(self, folder: str | os.PathLike[str], config: ClipConfig | None = None,
                 camera: str = "camera") -> None:  # fmt: skip
        self.folder = Path(folder)
        self.cfg = config or ClipConfig()
        self.camera = camera
        if self.folder.exists() and not self.folder.is_dir():
            raise CribwatchError(f"--clips {self.folder}: is a file, not a folder")
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            probe = self.folder / f".cribwatch-probe-{os.getpid()}"
            probe.write_bytes(b"")
            probe.unlink()
        except OSError as exc:
            raise CribwatchError(
                f"--clips {self.folder}: cannot write ({exc.strerror or type(exc).__name__})"
            ) from exc
        self._ring: collections.deque[tuple[float, bytes]] = collections.deque()
        self._pending: list[tuple[float, float, Record]] = []
        self._lock = threading.Lock()
        self._wake = threading.Condition(self._lock)
        self._closing = False
        self._now = 0.0
        self.written: list[Path] = []
        self.errors: list[str] = []
        self._thread = threading.Thread(target=self._run, name="clips", daemon=True)
        self._thread.start()

    def frame(self, t: float, jpeg: bytes) -> None:
        with self._lock:
            self._ring.append((t, jpeg))
            keep_from = t - self.cfg.pre_s - self.cfg.post_s - 1.0
            if self._pending:
                keep_from = min(keep_from, min(s for s, _, _ in self._pending))
            while self._ring and self._ring[0][0] < keep_from:
                self._ring.popleft()
            self._now = t
            if self._pending and any(e <= t for _, e, _ in self._pending):
                self._wake.notify()

    def alert(self, rec: Record) -> None:
        with self._lock:
            t = rec.stream_time
            self._pending.append((t - self.cfg.pre_s, t + self.cfg.post_s, rec))
            self._wake.notify()

    def _run(self) -> None:
        while True:
            with self._lock:
                while not self._closing and not any(e <= self._now for _, e, _ in self._pending):
                    self._wake.wait(0.5)
                due = [p for p in self._pending if p[1] <= self._now or self._closing]
                self._pending = [p for p in self._pending if p not in due]
                jobs = [(s, e, r, [f for f in self._ring if s <= f[0] <= e]) for s, e, r in due]
                closing = self._closing
            for _s, _e, rec, frames in jobs:
                if frames:
                    try:
                        self.written.append(self._write(rec, frames))
                        self._retain()
                    except (CribwatchError, OSError, av.FFmpegError) as exc:
                        self.errors.append(str(exc))
            if closing:
                return

    def _name(self, rec: Record) -> Path:
        stamp = time.strftime("%Y%m%dT%H%M%S", time.gmtime(rec.wall))
        stamp += f"{int(rec.wall * 1000) % 1000:03d}Z"
        base = f"cribwatch-{self.camera}-{stamp}-{rec.type}"
        path = self.folder / f"{base}.mp4"
        i = 1
        while path.exists():
            path = self.folder / f"{base}-{i}.mp4"
            i += 1
        return path

    def _write(self, rec: Record, frames: list[tuple[float, bytes]]) -> Path:
        path = self._name(rec)
        first: Any = cv2.imdecode(np.frombuffer(frames[0][1], np.uint8), cv2.IMREAD_COLOR)
        h, w = first.shape[:2]
        w2, h2 = w - w % 2, h - h % 2
        with atomic_path(path, suffix=".mp4") as tmp:
            cont = av.open(str(tmp), "w", format="mp4")
            cont.metadata["comment"] = OUTPUT_MARK
            vs = cont.add_stream("libx264", rate=30)
            vs.width, vs.height, vs.pix_fmt = w2, h2, "yuv420p"
            vs.options = {"preset": "veryfast", "crf": "26"}
            t0 = frames[0][0]
            last_pts = -1
            for t, jpg in frames:
                bgr: Any = cv2.imdecode(np.frombuffer(jpg, np.uint8), cv2.IMREAD_COLOR)
                if bgr is None or bgr.shape[:2] != (h, w):
                    continue
                f = av.VideoFrame.from_ndarray(bgr[:h2, :w2], format="bgr24")
                pts = int(round((t - t0) * 30))
                if pts <= last_pts:
                    continue
                f.pts = pts
                last_pts = pts
                for p in vs.encode(f):
                    cont.mux(p)
            for p in vs.encode(None):
                cont.mux(p)
            cont.close()
        return path

    def _retain(self) -> None:
        ours = []
        for p in self.folder.iterdir():
            if CLIP_RE.match(p.name) and p.is_file():
                st = p.stat()
                ours.append((st.st_mtime, st.st_size, p))
        ours.sort()
        total = sum(s for _, s, _ in ours)
        while ours and (len(ours) > self.cfg.keep or total > self.cfg.max_bytes):
            _, size, p = ours.pop(0)
            try:
                p.unlink()
            except OSError:
                pass
            total -= size

    def close(self, timeout: float = 30.0) -> None:
        """Write the clips still pending (cut at the last frame) and stop."""
        with self._lock:
            self._closing = True
            self._wake.notify()
        self._thread.join(timeout)
