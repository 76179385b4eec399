"""The demo report's section helpers, each on a tiny input (the whole report runs in
``make demo``): the cry audio player, the roll-over clip, the monitor run, the summary and the
wrapping of the capabilities' sections."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from PIL import Image

from cribwatch.cry.demo_audio import audio_player
from cribwatch.demo import report
from cribwatch.io import OUTPUT_MARK
from cribwatch.monitor.report import DemoRunConfig, demo_section, monitor_demo, monitor_html
from cribwatch.monitor.schema import read_events
from cribwatch.monitor.synth import ClipSpec
from cribwatch.rollover.clip import ClipConfig, rollover_clip
from cribwatch.rollover.report import DemoConfig


def test_audio_player_writes_the_sample_as_wav(tmp_path: Path) -> None:
    frag, seconds = audio_player(tmp_path)
    x, sr = sf.read(tmp_path / "audio" / "cry_sample.wav")
    assert sr == 16000 and x.ndim == 1 and abs(x.shape[0] / sr - seconds) < 1e-6
    assert seconds == pytest.approx(20.0, abs=0.5) and np.abs(x).max() > 0.01
    assert '<audio controls preload="metadata" src="audio/cry_sample.wav">' in frag


def test_rollover_clip_is_an_animated_gif_around_the_roll(tmp_path: Path) -> None:
    res = rollover_clip(
        tmp_path / "img" / "r.gif", DemoConfig(seq_s=30.0),
        ClipConfig(before_s=1.0, after_s=2.5, step=3, width=96),
    )  # fmt: skip
    with Image.open(res.path) as im:
        assert im.format == "GIF" and im.n_frames == res.frames > 5 and im.size[0] == 96
        assert OUTPUT_MARK in im.info.get("comment", b"").decode()
    assert res.roll_s is not None and res.start_s <= res.roll_s <= res.end_s
    assert "img/r.gif" in res.figure("img/r.gif")


def test_monitor_demo_on_a_short_recording(tmp_path: Path) -> None:
    spec = ClipSpec(seconds=3.0, width=96, height=64, fps=10, night_from_s=1.0, audio_from_s=6.0)
    d = monitor_demo(tmp_path, DemoRunConfig(spec=spec, frame_every_s=1.0, record_page=False))
    types = [r["type"] for r in d.records]
    assert "day" in types and d.health["frames_processed"] > 10 and d.health["errors"] == 0
    assert [r["type"] for r in read_events(tmp_path / d.events)] == types
    assert len(d.frames) >= 2 and all((tmp_path / rel).is_file() for _, rel in d.frames)
    page = monitor_html(d, spec)
    assert "events.jsonl" in page and "frame_00.jpg" in page and "event  day" in page
    assert "t=0.0 s, day mode" in page or "t=0.1 s, day mode" in page


def test_monitor_demo_section_gives_html_and_numbers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from cribwatch.monitor import report as mreport

    spec = ClipSpec(seconds=2.0, width=96, height=64, fps=10, night_from_s=1.0, audio_from_s=6.0)
    monkeypatch.setattr(mreport, "DemoRunConfig", lambda: DemoRunConfig(spec=spec))
    monkeypatch.setattr(mreport, "page_browser", lambda size: (None, "chromium not installed"))
    frag, facts = demo_section(tmp_path)
    assert frag.startswith("<h2 id='monitor'>Monitor run</h2>") and "frames of a 2 s" in facts[0]
    # no browser: one line says so, in the section and in the summary's numbers
    assert frag.count("Page recording: skipped (chromium not installed).") == 1
    assert facts[-1] == "page not recorded: chromium not installed"


def test_monitor_demo_records_the_page_in_headless_chromium(tmp_path: Path) -> None:
    """Where chromium, chromedriver and selenium are installed: screenshots of the served page
    during the run, an animated GIF of them, and a roll and a cry alerted on the way."""
    from cribwatch.monitor import report as mreport

    why = mreport.page_tools()
    if why:
        pytest.skip(f"page recording unavailable: {why}")
    spec = ClipSpec(seconds=7.0, width=320, height=240, fps=15, night_from_s=2.5,
                    audio_from_s=5.0, rolls=(0.5,))  # fmt: skip
    d = monitor_demo(tmp_path, DemoRunConfig(spec=spec, page_every_s=1.0, page_size=(900, 700)))
    assert d.page_note == "" and len(d.page_shots) >= 3, d.page_note
    assert all((tmp_path / rel).is_file() for _, rel in d.page_shots)
    assert d.page_gif is not None
    with Image.open(tmp_path / d.page_gif) as im:
        assert im.format == "GIF" and im.n_frames == len(d.page_shots) and im.size[0] == 640
    # the live image changed between the first and the last screenshot
    first, last = (np.asarray(Image.open(tmp_path / d.page_shots[i][1]).convert("L"), float)
                   for i in (0, -1))  # fmt: skip
    assert first.shape == last.shape and np.abs(first - last).mean() > 2.0
    lat = d.roll_latency()
    assert lat is not None and 0.0 < lat < 3.0
    assert d.cry_latency() is not None
    html_ = monitor_html(d, spec)
    assert "monitor/page.gif" in html_ and "Page recording: skipped" not in html_


def test_cry_section_puts_the_player_beside_the_plot(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(
        report, "cry_plot",
        lambda out: '<h2>Infant cry detection</h2><img src="cry_demo.png" alt="x">'
        "<table><tr><td>8.10</td><td>14.60</td><td>0.97</td><td>9.50</td></tr></table>",
    )  # fmt: skip
    sec = report.cry_section(tmp_path)
    assert '<div class="beside"><img src="cry_demo.png" alt="x"><figure class="player">' in sec.html
    assert "first: 8.10-14.60 s, score 0.97, known at 9.50 s" in sec.facts


def test_rollover_section_puts_the_clip_beside_the_stick_figures(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(
        report, "rollover_plot",
        lambda out: '<h2>Roll-over detection</h2><div><figure><img src="img/rollover_frame1.png">'
        "</figure></div>",
    )  # fmt: skip
    sec = report.rollover_section(tmp_path)
    assert '<div><figure class="clip"><img src="img/rollover_clip.gif"' in sec.html
    assert (tmp_path / "img" / "rollover_clip.gif").is_file() and "alert at" in sec.facts[0]


def test_summary_lists_every_section_with_its_numbers() -> None:
    secs = [report.Section("<h2>A</h2>", "A", "what a shows", ["3 < 4"], "a", 1.25)]
    page = report.summary_html(secs, 2.0)
    assert "<a href='#a'>A</a>" in page and "3 &lt; 4" in page and "1.2 s" in page
