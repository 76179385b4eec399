"""``cribwatch monitor bench``: the monitor timed on a generated camera recording.

A clip of ``seconds`` (at most 30 s, looped for longer runs) at ``width`` x ``height`` and
``fps`` (H.264 + AAC in MPEG-TS: the scene by day, then IR grey by night, the bundled cry
sample in the audio, and a generated infant who rolls from its back to prone every 10 s and
back, :func:`cribwatch.monitor.synth.person_track`) is written to a temporary folder and
played to the monitor at its own pace, as a camera would deliver it, with colour at night,
pose and roll-over, the cry detector and JPEG encoding for the page all on. Measured: processed
fps, frames dropped (the newest-frame policy), CPU milliseconds per processed frame (the whole
process: decoding, every stage, audio), per-stage p50/p90, peak RSS, audio samples dropped,
the cry alert latency from the onset (wall clock from the moment the onset's audio was
decoded, and in stream time), and p50/p90 over the rolls of the latency from a roll's onset
(the first truly prone frame) to its ``to_prone`` alert: in stream time, to the event line
(the record dispatched to the events file, MQTT and stdout) and to the page's API, in wall
seconds from the moment the onset's frame was decoded.

The pose stage runs the real backend (default ``movenet-night``) on every processed frame, so
its time and CPU are what a camera costs; the roll-over detector is given the generated
person's keypoints for the frame (:class:`cribwatch.monitor.synth.ScenePose`), because
MoveNet does not recognise the drawn infant (a person in 3% of its frames, never prone). The
load average is reported beside the numbers: they only mean something on an otherwise idle
machine.
"""

from __future__ import annotations

import json
import os
import resource
import tempfile
import threading
import time
import urllib.request
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from cribwatch.errors import CribwatchError
from cribwatch.io import read_rgb
from cribwatch.monitor.api import make_pose
from cribwatch.monitor.pipeline import Monitor, MonitorConfig
from cribwatch.monitor.schema import Record
from cribwatch.monitor.source import SourceConfig
from cribwatch.monitor.synth import (
    SAMPLE_REFERENCE,
    ClipSpec,
    ScenePose,
    cry_onset,
    make_clip,
    package_file,
    person_track,
)
from cribwatch.monitor.web import WebServer
from cribwatch.progress import Progress, report


def _rss_mb() -> float:
    try:
        with open("/proc/self/statm") as fh:
            pages = int(fh.read().split()[1])
        return pages * os.sysconf("SC_PAGE_SIZE") / 2**20
    except (OSError, ValueError, IndexError):
        return float("nan")


CLIP_MAX_S = 30.0
"""Longer benches loop a clip of this length (the cry comes back every loop)."""


def _quarters(samples: list[tuple[float, float]]) -> list[float]:
    """RSS at the end of each quarter of the run (constant memory shows as a flat row)."""
    if not samples:
        return []
    end = samples[-1][0]
    out = []
    for q in (0.25, 0.5, 0.75, 1.0):
        at = [r for t, r in samples if t <= q * end + 1e-9]
        out.append(round(at[-1], 1) if at else float("nan"))
    return out


PAGE_POLL_S = 0.5
"""How often the page asks for new records (its script); the bench asks every 0.1 s."""


def _poll_page(url: str, seen: dict[str, float], stop: threading.Event) -> None:
    """Ask the page's ``/api/state`` every 0.1 s; note when each record first shows."""
    while not stop.wait(0.1):
        try:
            with urllib.request.urlopen(url + "api/state", timeout=2) as r:
                state = json.load(r)
        except (OSError, ValueError):
            continue
        now = time.time()
        for rec in state.get("records", []):
            seen.setdefault(f"{rec['type']}@{rec['stream_time']}", now)


def _page_latency(m: Monitor, seen: dict[str, float]) -> float | None:
    """Wall seconds from the first cry's onset (its audio decoded) to its record on the page's
    API (the page itself shows it within :data:`PAGE_POLL_S` more)."""
    for rec in m.cry_alerts:
        key = f"cry@{round(rec.stream_time, 3)}"
        lat = rec.detail.get("wall_latency_s")
        if key in seen and lat is not None:
            return round(float(lat) + (seen[key] - rec.wall), 3)
    return None


ROLL_EVERY_S = 10.0
"""A roll to prone starts every this many seconds of the clip (from 1 s in)."""
ROLL_MATCH_S = 8.0
"""A ``to_prone`` alert counts for the latest roll onset at most this long before it."""


def roll_times(clip_s: float, spec: ClipSpec | None = None) -> tuple[float, ...]:
    """Roll starts of a clip of ``clip_s``: every :data:`ROLL_EVERY_S` from 1 s, each roll
    (there and back) ending 1 s before the clip does (a looped clip stays supine long enough
    across its end for the detector to re-arm)."""
    s = spec or ClipSpec()
    whole = 2 * s.roll_s + s.prone_s
    out, r = [], 1.0
    while r + whole + 1.0 <= clip_s:
        out.append(r)
        r += ROLL_EVERY_S
    return tuple(out)


class _RollClock:
    """Matches ``to_prone`` alerts to the generated rolls as they are dispatched."""

    def __init__(self, onsets: list[float], fps: int) -> None:
        self.onsets = onsets
        self.fps = fps
        self.monitor: Monitor | None = None
        self.matched: list[dict[str, float]] = []
        self.unmatched = 0

    def onsets_so_far(self, until: float) -> list[float]:
        assert self.monitor is not None
        starts = list(self.monitor.reader.segment_starts)
        return sorted(b + r for b in starts for r in self.onsets if b + r <= until)

    def __call__(self, rec: Record) -> None:
        if self.monitor is None or rec.type != "to_prone" or rec.kind != "alert":
            return
        line = time.time()
        prior = [o for o in self.onsets_so_far(rec.stream_time)
                 if rec.stream_time - o <= ROLL_MATCH_S]  # fmt: skip
        if not prior:
            self.unmatched += 1
            return
        onset = prior[-1]
        arrived = self.monitor.frame_arrival_wall(onset)
        self.matched.append({
            "onset": onset,
            "stream_time": round(rec.stream_time, 3),
            "stream_latency_s": rec.stream_time - onset,
            "line_latency_s": (line - arrived) if arrived is not None else float("nan"),
            "arrived": arrived if arrived is not None else float("nan"),
        })  # fmt: skip
        del self.matched[:-2000]


def _p(xs: list[float], q: float) -> float | None:
    xs = [x for x in xs if np.isfinite(x)]
    return round(float(np.percentile(xs, q)), 3) if xs else None


def _roll_result(clock: _RollClock, seen: dict[str, float], end_t: float) -> dict[str, Any]:
    """p50/p90 of the roll-to-alert latencies; rolls missed (no alert within the bound)."""
    stream = [m["stream_latency_s"] for m in clock.matched]
    line = [m["line_latency_s"] for m in clock.matched]
    page = []
    for m in clock.matched:
        key = f"to_prone@{m['stream_time']}"
        if key in seen and np.isfinite(m["arrived"]):
            page.append(seen[key] - m["arrived"])
    due = [o for o in clock.onsets_so_far(end_t) if o + ROLL_MATCH_S <= end_t]
    hit = {round(m["onset"], 3) for m in clock.matched}
    return {
        "rolls": len(due),
        "roll_alerts": len(clock.matched),
        "rolls_missed": sum(round(o, 3) not in hit for o in due),
        "roll_alerts_unmatched": clock.unmatched,
        "roll_alert_stream_latency_p50_s": _p(stream, 50),
        "roll_alert_stream_latency_p90_s": _p(stream, 90),
        "roll_alert_line_latency_p50_s": _p(line, 50),
        "roll_alert_line_latency_p90_s": _p(line, 90),
        "roll_alert_on_page_api_p50_s": _p(page, 50),
        "roll_alert_on_page_api_p90_s": _p(page, 90),
        "roll_alerts_seen_on_page": len(page),
    }


def _checkpoints(samples: list[tuple[float, float]]) -> dict[str, float]:
    """RSS at 10 s, 1, 10 and 60 minutes of stream (those the run reached)."""
    out = {}
    for name, at in (("10s", 10.0), ("1min", 60.0), ("10min", 600.0), ("60min", 3600.0)):
        hit = [r for t, r in samples if t >= at]
        if hit:
            out[name] = round(hit[0], 1)
    return out


def bench(
    *,
    seconds: float = 60.0,
    width: int = 640,
    height: int = 480,
    fps: int = 15,
    pose: str = "auto",
    colour: bool = True,
    progress: Progress | None = None,
) -> dict[str, Any]:
    """Run the bench (see the module doc) and return its JSON-ready result."""
    if not 8.0 <= seconds <= 3600.0:
        raise CribwatchError(f"--seconds: must be in [8, 3600], not {seconds!r}")
    if not (16 <= width <= 3840 and 16 <= height <= 2160):
        raise CribwatchError(f"--size: {width}x{height} is out of range (16x16 to 3840x2160)")
    if not 1 <= fps <= 60:
        raise CribwatchError(f"--fps: must be in [1, 60], not {fps!r}")
    clip_s = min(seconds, CLIP_MAX_S)
    onset_at = min(5.0, clip_s / 3)
    spec = ClipSpec(seconds=clip_s, width=width, height=height, fps=fps,
                    night_from_s=clip_s / 4, audio_from_s=8.0 - onset_at)  # fmt: skip
    spec = replace(spec, rolls=roll_times(clip_s, spec))
    track = person_track(spec)
    inner = make_pose(pose)
    scene = ScenePose(inner, track) if inner is not None else None
    clock = _RollClock(track.prone_onsets, fps)
    ref = (np.clip(read_rgb(package_file(SAMPLE_REFERENCE)), 0, 1) * 255).astype(np.uint8)
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="cribwatch-bench-") as tmp:
        clip = make_clip(Path(tmp) / "camera.ts", spec)
        m = Monitor(str(clip), reference=ref if colour else None, pose=scene, on_record=clock,
                    config=MonitorConfig(colour=colour, jpeg=True),
                    source_config=SourceConfig(realtime=True, loop=seconds > clip_s))  # fmt: skip
        clock.monitor = m
        web = WebServer("127.0.0.1", 0, m.snapshot, m.latest_jpeg).start()
        seen: dict[str, float] = {}
        stop = threading.Event()
        poller = threading.Thread(target=_poll_page, args=(web.url, seen, stop), daemon=True)
        rss_start = _rss_mb()
        ru0 = resource.getrusage(resource.RUSAGE_SELF)
        wall0 = time.monotonic()
        m.start()
        poller.start()
        rss_samples: list[tuple[float, float]] = []
        while not m.finished() and time.monotonic() - wall0 < seconds + 0.5:
            time.sleep(0.25)
            rss_samples.append((time.monotonic() - wall0, _rss_mb()))
            report(progress, min(int(time.monotonic() - wall0), int(seconds)), int(seconds))
        stop.set()
        poller.join(5)
        end_t = m.reader.stream_time
        snap = m.close()
        web.close()
        wall = time.monotonic() - wall0
        ru1 = resource.getrusage(resource.RUSAGE_SELF)
    h = snap["health"]
    cpu_s = (ru1.ru_utime - ru0.ru_utime) + (ru1.ru_stime - ru0.ru_stime)
    processed = max(int(h["frames_processed"]), 1)
    stream_lat = [float(r.detail["latency_s"]) for r in m.cry_alerts]  # the last 100
    return {
        "input": {
            "width": width,
            "height": height,
            "fps": fps,
            "seconds": seconds,
            "codec": "h264+aac/mpegts",
            "cry_onset_s": cry_onset(spec),
            "night_from_s": spec.night_from_s,
        },  # fmt: skip
        "stages_on": {"colour": colour, "pose": inner is not None, "cry": True, "jpeg": True},
        "pose_backend": getattr(inner, "name", None),
        "scene": {
            "roll_starts_s": list(spec.rolls),
            "prone_onsets_s": [round(o, 3) for o in track.prone_onsets],
            "roll_s": spec.roll_s,
            "prone_s": spec.prone_s,
            "clip_s": clip_s,
        },  # fmt: skip
        "pose_person_found_fraction": (
            round(scene.found / scene.frames, 3) if scene is not None and scene.frames else None
        ),
        "pose_frames_unstamped": scene.unstamped if scene is not None else None,
        "wall_s": round(wall, 2),
        "processed_fps": round(h["frames_processed"] / wall, 2),
        "frames_received": h["frames_received"],
        "frames_processed": h["frames_processed"],
        "frames_dropped": h["frames_dropped"],
        "cpu_ms_per_frame": round(cpu_s * 1000 / processed, 2),
        "cpu_percent_of_one_core": round(100 * cpu_s / wall, 1),
        "stages": h["stages"],
        "peak_rss_mb": round(ru1.ru_maxrss / 1024, 1),
        "rss_start_mb": round(rss_start, 1),
        "rss_run_max_mb": round(max((r for _, r in rss_samples), default=rss_start), 1),
        "rss_by_quarter_mb": _quarters(rss_samples),
        "rss_at_mb": _checkpoints(rss_samples),
        "audio_samples_in": h["audio_samples_in"],
        "audio_samples_dropped": h["audio_samples_in"] - h["audio_samples_done"],
        "cry_alerts": int(h["records_by_type"].get("cry", 0)),
        "cry_alert_latency_s": round(m.cry_latencies[0], 3) if m.cry_latencies else None,
        "cry_alert_latency_p50_s": (
            round(float(np.median(m.cry_latencies)), 3) if m.cry_latencies else None
        ),
        "cry_alert_stream_latency_p50_s": (
            round(float(np.median(stream_lat)), 3) if stream_lat else None
        ),
        "cry_alert_on_page_api_s": _page_latency(m, seen),
        **(_roll_result(clock, seen, end_t) if scene is not None else {}),
        "page_poll_s": PAGE_POLL_S,
        "load_avg_before": [round(x, 2) for x in load_before],
        "load_avg_after": [round(x, 2) for x in os.getloadavg()],
        "cpu_count": os.cpu_count(),
    }
