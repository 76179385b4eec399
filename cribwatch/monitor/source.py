"""Live sources through PyAV (FFmpeg): files, RTSP/UDP/HTTP URLs, V4L2 devices.

:class:`StreamReader` opens one source in its own thread, decodes video frames (RGB uint8)
and audio (float32 mono 16 kHz) and hands them to callbacks with **stream times**: seconds
that keep increasing over reconnects (a reconnect continues where the last connection ended,
plus the wall time it was down). Every open and every read has a timeout (without one a dead
UDP stream blocks the reader for ever); a source that fails or ends is closed and reopened
with exponential backoff. Packets FFmpeg flags as corrupt, and packets that fail to decode,
are skipped and counted. A file is read at its own pace (real time) unless ``realtime`` is
off, and ends the reader at its end (no reconnect) unless ``loop``.
"""

from __future__ import annotations

import collections
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import av
import numpy as np

from cribwatch.errors import CribwatchError

SR = 16000
"""Audio rate the cry detector takes."""

URL_SCHEMES = ("rtsp", "rtsps", "rtmp", "udp", "rtp", "srt", "tcp", "http", "https")


@dataclass(frozen=True)
class SourceConfig:
    """How a source is opened and kept open."""

    open_timeout_s: float = 5.0
    """Longest wait for a source to open (and for its first packets)."""
    read_timeout_s: float = 2.0
    """Longest wait for the next packet before the stream counts as down."""
    backoff_s: float = 0.5
    """First wait before a reconnect; doubled after each failure."""
    backoff_max_s: float = 8.0
    """Longest wait between reconnects."""
    realtime: bool = True
    """Read a file at its own frame rate (as a camera would deliver it)."""
    loop: bool = False
    """Start a file again at its end instead of stopping."""
    max_width: int = 960
    """Wider video is scaled down to this width before anything else sees it."""


def kind_of(source: str) -> str:
    """``url``, ``device`` (V4L2) or ``file``; a missing file is refused with its name."""
    scheme = source.split("://", 1)[0].lower() if "://" in source else ""
    if scheme:
        if scheme not in URL_SCHEMES:
            raise CribwatchError(
                f"{source}: unknown URL scheme {scheme!r} (one of {', '.join(URL_SCHEMES)})"
            )
        return "url"
    if source.startswith("/dev/video"):
        if not Path(source).exists():
            raise CribwatchError(f"{source}: no such video device")
        return "device"
    p = Path(source)
    if not p.exists():
        raise CribwatchError(
            f"{source}: file not found (a file, an rtsp/udp/http URL or /dev/videoN)"
        )
    if p.is_dir():
        raise CribwatchError(f"{source}: is a folder, not a video file")
    return "file"


def open_container(source: str, cfg: SourceConfig) -> Any:
    """``av.open`` with the timeouts and the options each kind of source needs."""
    kind = kind_of(source)
    options: dict[str, str] = {}
    fmt = None
    if kind == "url":
        scheme = source.split("://", 1)[0].lower()
        if scheme == "udp":
            options.update({"overrun_nonfatal": "1", "fifo_size": "1000000"})
        if scheme.startswith("rtsp"):
            options.update({"rtsp_transport": "tcp"})
        options.update({"analyzeduration": "2000000", "probesize": "1000000"})
    elif kind == "device":
        fmt = "v4l2"
    try:
        return av.open(
            source, format=fmt, options=options,
            timeout=(cfg.open_timeout_s, cfg.read_timeout_s),
        )  # fmt: skip
    except (av.FFmpegError, OSError) as exc:
        raise CribwatchError(f"{source}: cannot open ({_why(exc)})") from exc


def _why(exc: BaseException) -> str:
    msg = getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
    msg = str(msg).splitlines()[0][:200]
    if "Immediate exit requested" in msg:  # PyAV's timeout interrupts FFmpeg this way
        return "timed out"
    return msg


def probe(source: str, cfg: SourceConfig | None = None) -> dict[str, Any]:
    """Open ``source`` once and describe its streams (fails fast on a bad source)."""
    cont = open_container(source, cfg or SourceConfig())
    try:
        v = cont.streams.video[0] if cont.streams.video else None
        a = cont.streams.audio[0] if cont.streams.audio else None
        return {
            "video": None if v is None else {"width": v.width, "height": v.height,
                                             "codec": v.codec_context.name},
            "audio": None if a is None else {"rate": a.rate, "codec": a.codec_context.name},
        }  # fmt: skip
    finally:
        cont.close()


@dataclass
class ReaderStats:
    """What a reader has seen (read by the page and the bench)."""

    state: str = "starting"
    """``starting``, ``up``, ``down`` (reconnecting), ``ended`` or ``closed``."""
    connects: int = 0
    reconnects: int = 0
    video_frames: int = 0
    audio_samples: int = 0
    corrupt_packets: int = 0
    decode_errors: int = 0
    last_error: str = ""
    width: int = 0
    height: int = 0
    fps: float = 0.0
    down_since: float | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "state": self.state, "connects": self.connects, "reconnects": self.reconnects,
            "video_frames": self.video_frames, "audio_seconds": round(self.audio_samples / SR, 3),
            "corrupt_packets": self.corrupt_packets, "decode_errors": self.decode_errors,
            "last_error": self.last_error, "width": self.width, "height": self.height,
            "fps": round(self.fps, 2),
        }  # fmt: skip


VideoSink = Callable[[float, np.ndarray], None]
AudioSink = Callable[[float, np.ndarray], None]
StatusSink = Callable[[str, float, str], None]


class StreamReader:
    """Decode one source in a thread, reconnecting, until :meth:`stop`.

    Args:
        source: file path, URL or V4L2 device.
        on_video: ``(t, rgb_uint8)`` per decoded frame (None: video not wanted).
        on_audio: ``(t, float32_16k_mono)`` per decoded audio frame (None: audio not wanted).
        on_status: ``(state, t, message)`` on every ``up`` / ``down`` / ``ended``.
        config: timeouts, backoff, pacing.

    The callbacks run on the reader thread: they must be quick (hand frames over, never
    process them there).
    """

    def __init__(
        self,
        source: str,
        *,
        on_video: VideoSink | None = None,
        on_audio: AudioSink | None = None,
        on_status: StatusSink | None = None,
        config: SourceConfig | None = None,
        name: str = "reader",
    ) -> None:
        self.source = str(source)
        self.kind = kind_of(self.source)
        self.on_video = on_video
        self.on_audio = on_audio
        self.on_status = on_status
        self.cfg = config or SourceConfig()
        self.stats = ReaderStats()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._t_end = 0.0  # stream time reached so far
        self._wall_end = time.monotonic()
        self.segment_starts: collections.deque[float] = collections.deque(maxlen=4096)
        """Stream time of the first video frame of each connection (each play of a looped
        file): a frame ``i`` of a file at ``fps`` is shown at ``start + i / fps``."""

    # ------------------------------------------------------------------ control

    def start(self) -> StreamReader:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()

    def join(self, timeout: float | None = None) -> None:
        self._thread.join(timeout)

    @property
    def alive(self) -> bool:
        return self._thread.is_alive()

    @property
    def stream_time(self) -> float:
        return self._t_end

    # ------------------------------------------------------------------ thread

    def _status(self, state: str, message: str = "") -> None:
        self.stats.state = state
        if state == "down":
            self.stats.down_since = time.time()
        elif state == "up":
            self.stats.down_since = None
        if self.on_status is not None:
            self.on_status(state, self._t_end, message)

    def _run(self) -> None:
        delay = self.cfg.backoff_s
        was_up = False
        while not self._stop.is_set():
            try:
                cont = open_container(self.source, self.cfg)
            except CribwatchError as exc:
                self.stats.last_error = exc.message
                if self.kind == "file":
                    self._status("ended", exc.message)
                    return
                if was_up or self.stats.state == "starting":
                    self._status("down", exc.message)
                    was_up = False
                self._stop.wait(delay)
                delay = min(delay * 2, self.cfg.backoff_max_s)
                continue
            try:
                ended = self._read(cont)
            finally:
                cont.close()
            if self.stats.state == "up":
                was_up = True
            if self._stop.is_set():
                break
            if self.kind == "file":
                if ended and self.cfg.loop:
                    continue  # --loop: the file again at once, the stream time going on
                self._status("ended", "end of file" if ended else self.stats.last_error)
                return
            delay = self.cfg.backoff_s if self.stats.state == "up" else delay
            if self.stats.state == "up":
                self._status("down", self.stats.last_error or "stream ended")
            self._stop.wait(delay)
            delay = min(delay * 2, self.cfg.backoff_max_s)
        self.stats.state = "closed"

    def _read(self, cont: Any) -> bool:
        """Read one connection until it ends (True), fails or times out (False)."""
        streams = []
        vs = cont.streams.video[0] if (self.on_video is not None and cont.streams.video) else None
        as_ = cont.streams.audio[0] if (self.on_audio is not None and cont.streams.audio) else None
        if vs is not None:
            vs.thread_type = "AUTO"
            streams.append(vs)
            rate = vs.average_rate or vs.guessed_rate
            self.stats.fps = float(rate) if rate else 0.0
        if as_ is not None:
            streams.append(as_)
        if not streams:
            self.stats.last_error = "no video or audio stream"
            return False
        resampler = av.AudioResampler(format="flt", layout="mono", rate=SR) if as_ else None
        t0: float | None = None
        base = self._t_end + (time.monotonic() - self._wall_end if self.stats.connects else 0.0)
        wall0 = time.monotonic()
        self.stats.connects += 1
        if self.stats.connects > 1:
            self.stats.reconnects += 1
        up = False
        first_video = True
        try:
            for packet in cont.demux(streams):
                if self._stop.is_set():
                    return False
                if packet.size and packet.is_corrupt:
                    self.stats.corrupt_packets += 1
                    continue
                try:
                    frames = packet.decode()
                except av.FFmpegError:
                    self.stats.decode_errors += 1
                    continue
                for fr in frames:
                    ft = fr.time
                    if ft is None:
                        continue
                    if t0 is None:
                        t0 = float(ft)
                    t = base + max(float(ft) - t0, 0.0)
                    if t > self._t_end:
                        self._t_end = t
                    if not up:
                        up = True
                        if self.stats.state != "up":
                            self._status("up", self.source)
                    if self.kind == "file" and self.cfg.realtime:
                        wait = (t - base) - (time.monotonic() - wall0)
                        if wait > 0 and self._stop.wait(wait):
                            return False
                    if packet.stream is vs:
                        if first_video:
                            first_video = False
                            self.segment_starts.append(t)
                        self._video(t, fr)
                    else:
                        assert resampler is not None
                        self._audio(t, fr, resampler)
                    if t > self._t_end:
                        self._t_end = t
                    self._wall_end = time.monotonic()
        except av.FFmpegError as exc:
            self.stats.last_error = _why(exc)
            return False
        except OSError as exc:
            self.stats.last_error = _why(exc)
            return False
        return True

    def _video(self, t: float, fr: Any) -> None:
        w, h = fr.width, fr.height
        if w > self.cfg.max_width:
            h = int(round(h * self.cfg.max_width / w / 2)) * 2
            w = self.cfg.max_width
            rgb = fr.to_ndarray(format="rgb24", width=w, height=h)
        else:
            rgb = fr.to_ndarray(format="rgb24")
        self.stats.width, self.stats.height = int(rgb.shape[1]), int(rgb.shape[0])
        self.stats.video_frames += 1
        assert self.on_video is not None
        self.on_video(t, rgb)

    def _audio(self, t: float, fr: Any, resampler: Any) -> None:
        for out in resampler.resample(fr):
            pcm = out.to_ndarray().reshape(-1).astype(np.float32, copy=False)
            self.stats.audio_samples += pcm.shape[0]
            assert self.on_audio is not None
            self.on_audio(t, pcm)
