"""The monitor's front desk: :func:`run` (what ``cribwatch monitor run`` calls) and
:func:`build` for programs that drive a :class:`~cribwatch.monitor.pipeline.Monitor` themselves.

>>> from cribwatch.monitor.api import MonitorOptions, run
>>> summary = run(MonitorOptions(source="rtsp://camera/stream", events="events.jsonl",
...                              serve="127.0.0.1:8080"))   # until SIGINT/SIGTERM

Every option is checked before any work (a bad source, address, state file or output path is
one error naming it); then the sources open, and the monitor runs until the source ends (a
file), ``duration_s`` has passed, or SIGINT/SIGTERM, and closes cleanly: the audio queue
drained, the cry detector closed (an open bout's end reported), clips written, the events file
complete, MQTT ``offline`` published.
"""

from __future__ import annotations

import contextlib
import signal
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from cribwatch.color.api import read_reference
from cribwatch.errors import CribwatchError
from cribwatch.io import guard_output, written_by_cribwatch
from cribwatch.monitor.clips import ClipConfig, ClipRecorder
from cribwatch.monitor.mqtt import MqttPublisher, parse_hostport
from cribwatch.monitor.pipeline import Monitor, MonitorConfig, Sink
from cribwatch.monitor.schema import EventsFile, Record
from cribwatch.monitor.source import SourceConfig, kind_of, probe
from cribwatch.monitor.state import load_state
from cribwatch.monitor.web import WebServer, check_serve
from cribwatch.rollover.api import BACKENDS, DEFAULT_BACKEND, make_backend
from cribwatch.rollover.pose import PoseBackend

POSE_CHOICES: tuple[str, ...] = ("auto", "none", *BACKENDS)
"""``--pose``: ``auto`` (the roll-over front desk's default backend when it can be built, else
none), ``none``, or a backend by name."""


@dataclass
class MonitorOptions:
    """Everything ``cribwatch monitor run`` takes (see its ``--help``)."""

    source: str
    audio: str | None = None
    reference: Path | None = None
    serve: str | None = None
    token: str | None = None
    cert: Path | None = None
    key: Path | None = None
    events: Path | None = None
    mqtt: str | None = None
    clips: Path | None = None
    clips_keep: int = 50
    clip_pre_s: float = 5.0
    clip_post_s: float = 5.0
    state: Path | None = None
    pose: str = "auto"
    colour: bool = True
    colour_align: bool = True
    """Align the day reference to the night view (reference bank); off: used as it is."""
    listen: bool = True
    duration_s: float = 0.0
    """Stop after this many seconds (0: run until the source ends or a signal)."""
    realtime: bool = True
    """A file at its own pace, the newest frame processed (as live); off: as fast as it
    decodes, every frame processed (``--fast``)."""
    loop: bool = False
    open_timeout_s: float = 5.0
    read_timeout_s: float = 2.0
    force: bool = False
    cry_model: Path | None = None
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class Built:
    monitor: Monitor
    web: WebServer | None
    url: str | None


def _check_number(option: str, value: float, low: float, high: float) -> None:
    if not (low <= value <= high):
        raise CribwatchError(f"{option}: must be in [{low:g}, {high:g}], not {value!r}")


def check(opts: MonitorOptions) -> None:
    """Every option, before any work (the bad-input contract)."""
    for option, src in (("SOURCE", opts.source), ("--audio", opts.audio)):
        if src is not None and kind_of(src) == "file":
            info = probe(src)  # a file must open now (a camera URL may come up later)
            if info["video"] is None and info["audio"] is None:
                raise CribwatchError(f"{option} {src}: no video or audio stream")
    if opts.pose not in POSE_CHOICES:
        raise CribwatchError(
            f"--pose: unknown value {opts.pose!r} (one of {', '.join(POSE_CHOICES)})"
        )
    for name, v, lo, hi in (
        ("--duration", opts.duration_s, 0.0, 1e7),
        ("--open-timeout", opts.open_timeout_s, 0.1, 600.0),
        ("--read-timeout", opts.read_timeout_s, 0.1, 600.0),
        ("--clip-pre", opts.clip_pre_s, 0.0, 120.0),
        ("--clip-post", opts.clip_post_s, 0.0, 120.0),
        ("--clips-keep", float(opts.clips_keep), 1.0, 1e6),
    ):
        if not isinstance(v, int | float) or v != v:
            raise CribwatchError(f"{name}: must be a number")
        _check_number(name, float(v), lo, hi)
    if opts.serve is not None:
        check_serve(opts.serve, opts.token, opts.cert, opts.key)
    elif opts.cert is not None or opts.key is not None:
        raise CribwatchError("--cert/--key: only with --serve")
    if opts.mqtt is not None:
        parse_hostport(opts.mqtt, "--mqtt", 1883)
    if opts.reference is not None:
        read_reference(opts.reference)
    if opts.state is not None and Path(opts.state).is_dir():
        raise CribwatchError(f"--state {opts.state}: is a folder, not a JSON file")
    state = load_state(opts.state)
    if opts.reference is None and opts.state is not None:
        ref = state.reference_path(Path(opts.state).parent)
        if ref is not None:
            if not ref.is_file():
                raise CribwatchError(
                    f"{opts.state}: the reference of preset {state.preset!r}, {ref}, is not a file"
                )
            read_reference(ref)
    inputs: dict[str, Any] = {"SOURCE": _as_path(opts.source), "--audio": _as_path(opts.audio),
                              "--reference": opts.reference, "--state": opts.state}  # fmt: skip
    if opts.events is not None:
        if Path(opts.events).is_dir():
            raise CribwatchError(f"--events {opts.events}: is a folder")
        guard_output(opts.events, option="--events", inputs=inputs, force=opts.force)
    if opts.clips is not None:
        guard_output(
            opts.clips, option="--clips", inputs={**inputs, "--events": opts.events}, force=True
        )  # fmt: skip  (a clip folder is added to, never replaced)
        if Path(opts.clips).exists() and not Path(opts.clips).is_dir():
            raise CribwatchError(f"--clips {opts.clips}: is a file, not a folder")


def _as_path(source: str | None) -> Path | None:
    if source is None or "://" in source or source.startswith("/dev/"):
        return None
    return Path(source)


def make_pose(name: str) -> PoseBackend | None:
    """The pose backend of ``--pose`` (``auto``: the roll-over detector's default backend when
    it can be built, else none)."""
    if name == "none":
        return None
    try:
        return make_backend(DEFAULT_BACKEND if name == "auto" else name)
    except CribwatchError:
        if name == "auto":
            return None
        raise


def build(opts: MonitorOptions, on_record: Callable[[Record], None] | None = None,
          pose: PoseBackend | None = None) -> Built:  # fmt: skip
    """Check ``opts`` and build the monitor and its outputs (not started)."""
    check(opts)
    state = load_state(opts.state)
    state_path = None
    if opts.state is not None and (
        not Path(opts.state).exists() or written_by_cribwatch(opts.state)
    ):
        state_path = Path(opts.state)  # learned references are written back only into our file
    reference = None
    if opts.reference is not None:
        reference = (np.clip(read_reference(opts.reference), 0, 1) * 255).astype(np.uint8)
    sinks: list[Sink] = []
    stack = contextlib.ExitStack()
    try:
        if opts.events is not None:
            ev = EventsFile(opts.events)
            sinks.append(ev)
            stack.callback(ev.close)
        clips = None
        if opts.clips is not None:
            clips = ClipRecorder(
                opts.clips,
                ClipConfig(pre_s=opts.clip_pre_s, post_s=opts.clip_post_s, keep=opts.clips_keep),
                camera=state.name,
            )
            stack.callback(clips.close)
        if opts.mqtt is not None:
            host, port = parse_hostport(opts.mqtt, "--mqtt", 1883)
            mq = MqttPublisher(host, port, state.name)
            sinks.append(mq)
            stack.callback(mq.close)
        if pose is None and opts.pose != "none":
            pose = make_pose(opts.pose)
        monitor = Monitor(
            opts.source,
            audio_source=opts.audio,
            state=state,
            state_path=state_path,
            reference=reference,
            pose=pose,
            sinks=sinks,
            clips=clips,
            on_record=on_record,
            config=MonitorConfig(
                drop_frames=opts.realtime or kind_of(opts.source) != "file",
                colour=opts.colour,
                colour_align=opts.colour_align,
                jpeg=opts.serve is not None or clips is not None,
            ),
            source_config=SourceConfig(
                open_timeout_s=opts.open_timeout_s,
                read_timeout_s=opts.read_timeout_s,
                realtime=opts.realtime,
                loop=opts.loop,
            ),  # fmt: skip
            cry_model=opts.cry_model,
            listen=opts.listen,
            learn_reference=opts.reference is None,
            state_dir=Path(opts.state).parent if opts.state is not None else None,
        )
        web = None
        if opts.serve is not None:
            host, port = check_serve(opts.serve, opts.token, opts.cert, opts.key)
            web = WebServer(host, port, monitor.snapshot, monitor.latest_jpeg, token=opts.token,
                            cert=opts.cert, key=opts.key).start()  # fmt: skip
    except BaseException:
        stack.close()
        raise
    stack.pop_all()
    return Built(monitor, web, web.url if web else None)


@contextlib.contextmanager
def stop_on_signals(stop: threading.Event) -> Iterator[None]:
    """SIGINT and SIGTERM set ``stop`` (in the main thread; elsewhere nothing is installed)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    old = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM)}

    def handler(signum: int, frame: Any) -> None:
        stop.set()

    for s in old:
        signal.signal(s, handler)
    try:
        yield
    finally:
        for s, h in old.items():
            signal.signal(s, h)


def run(opts: MonitorOptions, on_record: Callable[[Record], None] | None = None,
        on_ready: Callable[[str | None], None] | None = None,
        stop: threading.Event | None = None) -> dict[str, Any]:  # fmt: skip
    """Run the monitor until the source ends, ``duration_s``, ``stop`` or a signal; close
    cleanly; return the final health (with ``"stopped_by"``)."""
    built = build(opts, on_record)
    stop = stop or threading.Event()
    m = built.monitor
    reason = "end of source"
    with stop_on_signals(stop):
        m.start()
        if on_ready is not None:
            on_ready(built.url)
        deadline = time.monotonic() + opts.duration_s if opts.duration_s > 0 else None
        while not m.finished():
            if stop.wait(0.1):
                reason = "signal"
                break
            if deadline is not None and time.monotonic() >= deadline:
                reason = "duration"
                break
        summary = m.close()
        if built.web is not None:
            built.web.close()
    health: dict[str, Any] = summary["health"]
    health["stopped_by"] = reason
    health["alerts"] = m.health.alerts
    if m.clips is not None:
        health["clips"] = [str(p) for p in m.clips.written]
    return health
