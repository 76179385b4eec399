"""The demo report's monitor section: the monitor run over a short generated recording (the
bundled scene by day, then by night, the bundled cry sample in its audio track), as fast as it
decodes. It keeps the alert lines (the events file), a few of the frames the page would show
(coloured at night) and the MP4 clip written around each alert.

``cribwatch.demo`` and ``cribwatch.monitor`` sit side by side in one layer and never import each
other: ``cribwatch demo`` (its CLI module) hands :func:`demo_section` to
``cribwatch.demo.report.build_report``.
"""

from __future__ import annotations

import html
import os
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cribwatch.io import atomic_open
from cribwatch.monitor.clips import ClipConfig, ClipRecorder
from cribwatch.monitor.pipeline import Monitor, MonitorConfig
from cribwatch.monitor.schema import EventsFile
from cribwatch.monitor.source import SourceConfig
from cribwatch.monitor.synth import ClipSpec, cry_onset, make_clip


@dataclass(frozen=True)
class DemoRunConfig:
    """What :func:`monitor_demo` runs."""

    spec: ClipSpec = field(
        default_factory=lambda: ClipSpec(seconds=9.0, width=320, height=240, fps=15,
                                         night_from_s=3.0, audio_from_s=4.0)
    )  # fmt: skip
    frame_every_s: float = 1.5
    """A displayed frame is kept this often (stream time)."""
    clip_pre_s: float = 2.0
    clip_post_s: float = 2.0


@dataclass
class MonitorDemo:
    """What the run gave (paths relative to the report folder)."""

    records: list[dict[str, Any]]
    frames: list[tuple[float, str]]
    clips: list[str]
    events: str
    health: dict[str, Any]
    seconds: float
    """Wall time of the run."""
    stream_s: float
    cry_onset_s: float

    def cry_latency(self) -> float | None:
        """Stream seconds from the cry's onset in the recording to the first cry alert."""
        for r in self.records:
            if r["type"] == "cry" and r["kind"] == "alert":
                return float(r["stream_time"]) - self.cry_onset_s
        return None


class _FrameTap(ClipRecorder):
    """The clip recorder, also keeping a displayed frame every ``every`` stream seconds."""

    def __init__(self, folder: Path, config: ClipConfig, out: Path, every: float) -> None:
        super().__init__(folder, config, camera="demo")
        self.out = out
        self.every = every
        self.next_t = 0.0
        self.kept: list[tuple[float, str]] = []

    def frame(self, t: float, jpeg: bytes) -> None:
        super().frame(t, jpeg)
        if t + 1e-6 >= self.next_t:
            rel = f"monitor/frame_{len(self.kept):02d}.jpg"
            with atomic_open(self.out / rel, "wb") as fh:
                fh.write(jpeg)
            self.kept.append((t, rel))
            self.next_t = t + self.every


def monitor_demo(
    out_dir: str | os.PathLike[str], config: DemoRunConfig | None = None
) -> MonitorDemo:
    """Run the monitor over the generated recording; write its events file, frames and clips
    under ``out_dir/monitor``."""
    cfg = config or DemoRunConfig()
    out = Path(out_dir)
    (out / "monitor").mkdir(parents=True, exist_ok=True)
    records: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="cribwatch-demo-") as td:
        src = make_clip(Path(td) / "recording.ts", cfg.spec)
        t0 = time.perf_counter()
        tap = _FrameTap(out / "monitor" / "clips", ClipConfig(pre_s=cfg.clip_pre_s,
                        post_s=cfg.clip_post_s, keep=20), out, cfg.frame_every_s)  # fmt: skip
        events = EventsFile(out / "monitor" / "events.jsonl")
        mon = Monitor(
            str(src),
            sinks=[events],
            clips=tap,
            on_record=lambda r: records.append(r.to_dict()),
            config=MonitorConfig(drop_frames=False, jpeg=True),
            source_config=SourceConfig(realtime=False),
        )
        try:
            mon.start()
            mon.wait(timeout=120.0)
        finally:
            health = mon.close()["health"]
        seconds = time.perf_counter() - t0
    return MonitorDemo(
        records=records,
        frames=tap.kept,
        clips=[f"monitor/clips/{p.name}" for p in tap.written],
        events="monitor/events.jsonl",
        health=health,
        seconds=seconds,
        stream_s=cfg.spec.seconds,
        cry_onset_s=cry_onset(cfg.spec),
    )


def _line(r: dict[str, Any]) -> str:
    extra = ""
    if r["type"] == "cry":
        extra = f" (onset {r['detail'].get('onset', 0):.2f} s)"
    return f"{r['stream_time']:6.2f} s  {r['kind']:<6} {r['type']}{extra}"


def mode_at(records: list[dict[str, Any]], t: float) -> str:
    """The monitor's day/night mode at stream time ``t`` (its last ``day``/``night`` event),
    as a frame caption."""
    mode = "unknown"
    for r in records:
        if r["stage"] == "daynight" and float(r["stream_time"]) <= t + 1e-6:
            mode = str(r["type"])
    return {"night": "night mode: coloured", "day": "day mode"}.get(mode, mode)


def monitor_html(d: MonitorDemo, spec: ClipSpec | None = None) -> str:
    """The HTML of the section for a :class:`MonitorDemo`."""
    spec = spec or DemoRunConfig().spec
    h = d.health
    lines = "\n".join(html.escape(_line(r)) for r in d.records if r["kind"] != "status")
    figs = "".join(
        f'<figure><img src="{html.escape(rel, quote=True)}" alt="monitor frame">'
        f"<figcaption>t={t:.1f} s, {html.escape(mode_at(d.records, t))}</figcaption></figure>"
        for t, rel in d.frames
    )
    vids = "".join(
        f'<figure><video controls muted loop playsinline style="width:320px" '
        f'src="{html.escape(c, quote=True)}"></video><figcaption>'
        f"clip around an alert ({html.escape(Path(c).name)})</figcaption></figure>"
        for c in d.clips
    )
    lat = d.cry_latency()
    lat_txt = f"{lat:.2f} s after its onset" if lat is not None else "none"
    return (
        "<h2 id='monitor'>Monitor run</h2>"
        f"<p><code>cribwatch.monitor</code> over a generated {d.stream_s:.0f} s recording "
        f"({spec.width}x{spec.height}, {spec.fps} fps; the bundled scene by day, IR grey from "
        f"{spec.night_from_s:g} s, the bundled cry sample in the audio with the cry from "
        f"{d.cry_onset_s:g} s), read as fast as it decodes (<code>--fast</code>), no pose "
        "backend. The frames are what the page shows: at night coloured with the reference the "
        "monitor learned by day. Cry alert: "
        f"{html.escape(lat_txt)}. Processed {h.get('frames_processed', 0)} frames in "
        f"{d.seconds:.1f} s; errors {h.get('errors', 0)}. "
        f'Alert lines: <a href="{html.escape(d.events, quote=True)}">events.jsonl</a>.</p>'
        f"<pre>{lines or '(no records)'}</pre><div>{figs}{vids}</div>"
    )


def demo_section(out_dir: str | os.PathLike[str]) -> tuple[str, list[str]]:
    """Run :func:`monitor_demo` into ``out_dir``; return the section's HTML and its key
    numbers (for the report's summary)."""
    cfg = DemoRunConfig()
    d = monitor_demo(out_dir, cfg)
    h = d.health
    facts = [
        f"{h.get('frames_processed', 0)} frames of a {d.stream_s:.0f} s recording in "
        f"{d.seconds:.1f} s",
        f"{sum(r['kind'] == 'alert' for r in d.records)} alert(s)",
    ]
    lat = d.cry_latency()
    if lat is not None:
        facts.append(f"cry alert {lat:.1f} s after the onset")
    return monitor_html(d, cfg.spec), facts
