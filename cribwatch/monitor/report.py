"""The demo report's monitor section: the monitor run over a short generated recording (the
bundled scene by day, then by night, the bundled cry sample in its audio track, a generated
infant who rolls to prone). It keeps the alert lines (the events file), a few of the frames the
page would show (coloured at night), the MP4 clip written around each alert (with its sound)
and a short recording of the page itself: headless Chromium (through Selenium and
chromedriver, where installed) looking at the page the monitor serves during the run, a
screenshot every ``page_every_s``, shown as an animated GIF. Without them the section says so
in one line and the run goes as fast as it decodes.

``cribwatch.demo`` and ``cribwatch.monitor`` sit side by side in one layer and never import each
other: ``cribwatch demo`` (its CLI module) hands :func:`demo_section` to
``cribwatch.demo.report.build_report``.
"""

from __future__ import annotations

import html
import io
import os
import shutil
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from PIL import Image

from cribwatch.io import OUTPUT_MARK, atomic_open, atomic_path
from cribwatch.monitor.clips import ClipConfig, ClipRecorder
from cribwatch.monitor.pipeline import Monitor, MonitorConfig
from cribwatch.monitor.schema import EventsFile
from cribwatch.monitor.source import SourceConfig
from cribwatch.monitor.synth import ClipSpec, ScenePose, cry_onset, make_clip, person_track
from cribwatch.monitor.web import WebServer


@dataclass(frozen=True)
class DemoRunConfig:
    """What :func:`monitor_demo` runs."""

    spec: ClipSpec = field(
        default_factory=lambda: ClipSpec(seconds=9.0, width=320, height=240, fps=15,
                                         night_from_s=3.0, audio_from_s=4.0, rolls=(1.0,))
    )  # fmt: skip
    frame_every_s: float = 1.5
    """A displayed frame is kept this often (stream time)."""
    clip_pre_s: float = 2.0
    clip_post_s: float = 2.0
    record_page: bool = True
    """Record the page in headless Chromium where it is installed (the run then goes at the
    recording's own pace, as live)."""
    page_every_s: float = 1.5
    """A screenshot of the page this often (wall seconds)."""
    page_size: tuple[int, int] = (1100, 960)
    """The browser window."""


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
    page_shots: list[tuple[float, str]] = field(default_factory=list)
    """Screenshots of the page: (wall seconds into the run, path)."""
    page_gif: str | None = None
    page_note: str = ""
    """Why the page was not recorded (empty when it was)."""
    rolls: list[float] = field(default_factory=list)
    """True roll onsets in the recording (stream seconds)."""

    def roll_latency(self) -> float | None:
        """Stream seconds from the first roll's onset (its first truly prone frame) to the first
        ``to_prone`` alert."""
        if not self.rolls:
            return None
        for r in self.records:
            if r["type"] == "to_prone" and r["kind"] == "alert":
                return float(r["stream_time"]) - self.rolls[0]
        return None

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


def page_tools() -> str:
    """Why the page cannot be recorded here ("" when chromium, chromedriver and selenium are
    all installed)."""
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    driver = shutil.which("chromedriver")
    if browser is None or driver is None:
        missing = " and ".join(n for n, p in (("chromium", browser), ("chromedriver", driver))
                               if p is None)  # fmt: skip
        return f"{missing} not installed (Debian: apt-get install chromium chromium-driver)"
    try:
        import selenium  # noqa: F401  # extra: dev
    except ImportError:
        return "selenium not installed (pip install selenium)"
    return ""


def page_browser(size: tuple[int, int] = (1100, 960)) -> tuple[Any | None, str]:
    """A headless Chromium driven through Selenium and chromedriver, or ``(None, why not)``."""
    why = page_tools()
    if why:
        return None, why
    from selenium import webdriver  # extra: dev
    from selenium.webdriver.chrome.service import Service  # extra: dev

    browser = shutil.which("chromium") or shutil.which("chromium-browser") or "chromium"
    driver = shutil.which("chromedriver") or "chromedriver"
    opts = webdriver.ChromeOptions()
    opts.binary_location = browser
    opts.page_load_strategy = "eager"  # the MJPEG image never finishes loading
    profile = tempfile.mkdtemp(prefix="cribwatch-chrome-")
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--disable-dev-shm-usage", "--hide-scrollbars",
                 f"--window-size={size[0]},{size[1]}", f"--user-data-dir={profile}"):  # fmt: skip
        opts.add_argument(flag)
    try:
        drv = webdriver.Chrome(service=Service(driver), options=opts)
        drv.set_page_load_timeout(20)
    except Exception as exc:  # noqa: BLE001 - any browser start failure: the demo goes on
        shutil.rmtree(profile, ignore_errors=True)
        return None, f"headless Chromium did not start ({type(exc).__name__})"
    _PROFILES[id(drv)] = profile  # removed with the browser
    return drv, ""


_PROFILES: dict[int, str] = {}


def _quit(drv: Any) -> None:
    try:
        drv.quit()
    except Exception:  # noqa: BLE001, S110 - the browser is gone either way
        pass
    shutil.rmtree(_PROFILES.pop(id(drv), ""), ignore_errors=True)


def _page_gif(shots: list[Path], path: Path, width: int = 640) -> None:
    frames = []
    for p in shots:
        with Image.open(p) as im:
            rgb = im.convert("RGB")
        h = max(1, round(rgb.height * width / rgb.width))
        frames.append(rgb.resize((width, h)).convert("P", palette=Image.Palette.ADAPTIVE))
    with atomic_path(path) as tmp:
        frames[0].save(tmp, format="GIF", save_all=True, append_images=frames[1:], loop=0,
                       duration=900, comment=OUTPUT_MARK)  # fmt: skip


def monitor_demo(
    out_dir: str | os.PathLike[str], config: DemoRunConfig | None = None
) -> MonitorDemo:
    """Run the monitor over the generated recording; write its events file, frames and clips
    under ``out_dir/monitor``."""
    cfg = config or DemoRunConfig()
    out = Path(out_dir)
    (out / "monitor").mkdir(parents=True, exist_ok=True)
    records: list[dict[str, Any]] = []
    drv, note = page_browser(cfg.page_size) if cfg.record_page else (None, "not asked for")
    shots: list[tuple[float, str]] = []
    gif: str | None = None
    track = person_track(cfg.spec) if cfg.spec.rolls else None
    try:
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
                pose=ScenePose(None, track) if track is not None else None,
                on_record=lambda r: records.append(r.to_dict()),
                config=MonitorConfig(drop_frames=False, jpeg=True),
                source_config=SourceConfig(realtime=drv is not None),
            )
            web = WebServer("127.0.0.1", 0, mon.snapshot, mon.latest_jpeg).start()
            try:
                if drv is not None:
                    try:
                        drv.get(web.url)
                    except Exception as exc:  # noqa: BLE001 - no page, the run goes on
                        note = f"the page did not load in Chromium ({type(exc).__name__})"
                        _quit(drv)
                        drv = None
                t0 = time.perf_counter()
                mon.start()
                next_shot = t0 + 0.5
                while not mon.finished() and time.perf_counter() - t0 < 120.0:
                    if drv is not None and time.perf_counter() >= next_shot:
                        shots.append(_shot(drv, out, len(shots), time.perf_counter() - t0))
                        next_shot += cfg.page_every_s
                    time.sleep(0.05)
                if drv is not None:
                    time.sleep(1.2)  # the page polls every 0.5 s: the last alerts shown
                    shots.append(_shot(drv, out, len(shots), time.perf_counter() - t0))
            finally:
                health = mon.close()["health"]
                web.close()
            seconds = time.perf_counter() - t0
    finally:
        if drv is not None:
            _quit(drv)
    if shots:
        gif = "monitor/page.gif"
        _page_gif([out / rel for _, rel in shots], out / gif)
    return MonitorDemo(
        records=records,
        frames=tap.kept,
        clips=[f"monitor/clips/{p.name}" for p in tap.written],
        events="monitor/events.jsonl",
        health=health,
        seconds=seconds,
        stream_s=cfg.spec.seconds,
        cry_onset_s=cry_onset(cfg.spec),
        page_shots=shots,
        page_gif=gif,
        page_note=note if not shots else "",
        rolls=list(track.prone_onsets) if track is not None else [],
    )


def _shot(drv: Any, out: Path, i: int, at: float) -> tuple[float, str]:
    """One screenshot of the page into ``out/monitor/page_NN.png``."""
    rel = f"monitor/page_{i:02d}.png"
    png = drv.get_screenshot_as_png()
    with Image.open(io.BytesIO(png)) as im:
        im.load()
        with atomic_path(out / rel) as tmp:
            im.save(tmp, format="PNG")
    return at, rel


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
        f'<figure><video controls loop playsinline style="width:320px" '
        f'src="{html.escape(c, quote=True)}"></video><figcaption>'
        f"clip around an alert ({html.escape(Path(c).name)})</figcaption></figure>"
        for c in d.clips
    )
    lat = d.cry_latency()
    lat_txt = f"{lat:.2f} s after its onset" if lat is not None else "none"
    roll = d.roll_latency()
    if d.rolls:
        roll_txt = (f"; a generated infant rolls to prone at {d.rolls[0]:.1f} s (its keypoints "
                    "go to the roll-over detector as a pose estimator's would: no estimator "
                    "runs here), roll alert: "
                    + (f"{roll:.2f} s after the roll" if roll is not None else "none"))  # fmt: skip
    else:
        roll_txt = ", no pose backend"
    pace = (
        "played at its own pace, as live, while headless Chromium watched the page"
        if d.page_shots
        else "read as fast as it decodes (<code>--fast</code>)"
    )
    if d.page_gif:
        shots = ", ".join(
            f'<a href="{html.escape(rel, quote=True)}">{t:.1f} s</a>' for t, rel in d.page_shots
        )
        page = (
            "<h3>The page during the run</h3><figure class='clip'><img src="
            f'"{html.escape(d.page_gif, quote=True)}" style="width:640px" alt="the monitor\'s '
            f'page, recorded"><figcaption>the page served by the monitor, in headless Chromium: '
            f"{len(d.page_shots)} screenshots ({shots} into the run), animated</figcaption>"
            "</figure>"
        )
    else:
        page = f"<p>Page recording: skipped ({html.escape(d.page_note)}).</p>"
    return (
        "<h2 id='monitor'>Monitor run</h2>"
        f"<p><code>cribwatch.monitor</code> over a generated {d.stream_s:.0f} s recording "
        f"({spec.width}x{spec.height}, {spec.fps} fps; the bundled scene by day, IR grey from "
        f"{spec.night_from_s:g} s, the bundled cry sample in the audio with the cry from "
        f"{d.cry_onset_s:g} s{roll_txt}), {pace}. The frames are what the page shows: at night "
        "coloured with the reference the monitor learned by day. Cry alert: "
        f"{html.escape(lat_txt)}. Processed {h.get('frames_processed', 0)} frames in "
        f"{d.seconds:.1f} s; errors {h.get('errors', 0)}. "
        f'Alert lines: <a href="{html.escape(d.events, quote=True)}">events.jsonl</a>.</p>'
        f"{page}<pre>{lines or '(no records)'}</pre><div>{figs}{vids}</div>"
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
    roll = d.roll_latency()
    if roll is not None:
        facts.append(f"roll alert {roll:.1f} s after the roll")
    facts.append(
        f"page recorded: {len(d.page_shots)} screenshots" if d.page_shots
        else f"page not recorded: {d.page_note}"
    )  # fmt: skip
    return monitor_html(d, cfg.spec), facts
