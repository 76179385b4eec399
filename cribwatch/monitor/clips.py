"""``--clips DIR``: a few seconds before and after each alert as an MP4 (H.264 through PyAV).

The monitor hands every displayed frame (JPEG bytes, already encoded for the page) to
:meth:`ClipRecorder.frame` and, when the audio comes from the same stream, every block of
audio (16 kHz mono float32, as the cry detector gets it) to :meth:`ClipRecorder.audio`; rings
keep the last ``pre_s + post_s`` seconds of both. An alert at stream time ``t`` schedules the
clip ``[t - pre_s, t + post_s]``; it is written on a thread of its own once the video has
passed ``t + post_s`` and the audio too (or :data:`AUDIO_GRACE_S` later without it; at close,
cut short), into a temporary file beside it that is renamed into place (atomic: a clip is
whole or absent). The clip's audio track (AAC, 16 kHz mono) covers the same span as its
frames, silence where the stream had no audio. Files are named
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

SR = 16000
"""Sample rate of the audio the monitor hands over (and of the clips' audio track)."""
AUDIO_GRACE_S = 5.0
"""Wall seconds a clip waits for audio that lags behind the video before it is written."""
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
        self._aring: collections.deque[tuple[float, np.ndarray]] = collections.deque()
        self._anow = -float("inf")
        self._has_audio = False
        self._pending: list[tuple[float, float, Record]] = []
        self._passed: dict[int, float] = {}  # id of a pending clip -> wall time video passed it
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

    def audio(self, t: float, pcm: np.ndarray) -> None:
        """A block of audio (16 kHz mono float32) starting at stream time ``t``."""
        block = np.asarray(pcm, dtype=np.float32).reshape(-1)
        with self._lock:
            self._has_audio = True
            self._aring.append((t, block))
            keep_from = t - self.cfg.pre_s - self.cfg.post_s - 1.0
            if self._pending:
                keep_from = min(keep_from, min(s for s, _, _ in self._pending))
            while self._aring and self._aring[0][0] + self._aring[0][1].shape[0] / SR < keep_from:
                self._aring.popleft()
            self._anow = max(self._anow, t + block.shape[0] / SR)
            if self._pending and any(e <= self._anow for _, e, _ in self._pending):
                self._wake.notify()

    def _due(self, p: tuple[float, float, Record]) -> bool:
        """Whether pending clip ``p`` can be written now (lock held)."""
        if self._closing:
            return True
        if p[1] > self._now:
            return False
        if not self._has_audio or self._anow >= p[1]:
            return True
        passed = self._passed.setdefault(id(p), time.monotonic())
        return time.monotonic() - passed >= AUDIO_GRACE_S

    def alert(self, rec: Record) -> None:
        with self._lock:
            t = rec.stream_time
            self._pending.append((t - self.cfg.pre_s, t + self.cfg.post_s, rec))
            self._wake.notify()

    def _run(self) -> None:
        while True:
            with self._lock:
                while not self._closing and not any(self._due(p) for p in self._pending):
                    self._wake.wait(0.5)
                due = [p for p in self._pending if self._due(p)]
                self._pending = [p for p in self._pending if p not in due]
                for p in due:
                    self._passed.pop(id(p), None)
                jobs = [(s, e, r, [f for f in self._ring if s <= f[0] <= e],
                         [a for a in self._aring if a[0] + a[1].shape[0] / SR >= s and a[0] <= e])
                        for s, e, r in due]  # fmt: skip
                closing = self._closing
            for _s, _e, rec, frames, blocks in jobs:
                if frames:
                    try:
                        self.written.append(self._write(rec, frames, blocks))
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

    @staticmethod
    def _clip_audio(blocks: list[tuple[float, np.ndarray]], t0: float, n: int) -> np.ndarray:
        """``n`` samples from stream time ``t0`` out of ``blocks`` (silence where none)."""
        out = np.zeros(n, dtype=np.float32)
        for t, pcm in blocks:
            i = int(round((t - t0) * SR))
            a, b = max(i, 0), min(i + pcm.shape[0], n)
            if a < b:
                out[a:b] = pcm[a - i : b - i]
        return out

    def _write(self, rec: Record, frames: list[tuple[float, bytes]],
               blocks: list[tuple[float, np.ndarray]] | None = None) -> Path:  # fmt: skip
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
            a_s: Any = None
            if blocks:
                a_s = cont.add_stream("aac", rate=SR)
                a_s.layout = "mono"
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
            if a_s is not None and blocks:
                gaps = np.diff([t for t, _ in frames])
                step = float(np.median(gaps)) if gaps.size else 1 / 30
                pcm = self._clip_audio(blocks, t0, int(round((frames[-1][0] - t0 + step) * SR)))
                for i in range(0, pcm.shape[0], 1024):
                    af = av.AudioFrame.from_ndarray(pcm[None, i : i + 1024], format="flt",
                                                    layout="mono")  # fmt: skip
                    af.sample_rate = SR
                    af.pts = i
                    for p in a_s.encode(af):
                        cont.mux(p)
                for p in a_s.encode(None):
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
