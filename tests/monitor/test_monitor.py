"""The live monitor: a generated camera clip (day then IR night, a roll, a cry) through every
path the issue names: UDP MPEG-TS from a local ffmpeg (cut and restored), the page in headless
Chromium, a real Mosquitto broker, clips, the events file, SIGTERM.

External tools (ffmpeg, chromium + chromedriver + selenium, mosquitto + paho-mqtt) are found or
the test is skipped with the reason; nothing passes silently without them.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any, cast

import cv2
import numpy as np
import pytest

from cribwatch.cry.pretrained import CascadeScorer
from cribwatch.errors import CribwatchError
from cribwatch.io import read_rgb, written_by_cribwatch
from cribwatch.monitor.api import MonitorOptions, build, run
from cribwatch.monitor.mqtt import MqttPublisher, parse_hostport
from cribwatch.monitor.pipeline import Monitor, MonitorConfig, _ScoreTap, is_ir_frame
from cribwatch.monitor.schema import SCHEMA_VERSION, EventsFile, Record, read_events, validate
from cribwatch.monitor.source import SourceConfig
from cribwatch.monitor.state import CameraState, load_state, save_state
from cribwatch.monitor.synth import SAMPLE_REFERENCE, ClipSpec, make_clip, package_file
from cribwatch.monitor.web import WebServer, check_serve

HI, LO = 0.9, 0.05
NIGHT_FROM = 2.0
CUT_AT = 4.2  # stream time: after the roll, before the cry's onset
RESUME_FROM = 5.0
CRY_ONSET = 5.5  # in clip time: the sample's onset (8 s) minus audio_from_s
SPEC = ClipSpec(seconds=10.0, width=320, height=240, fps=15, night_from_s=NIGHT_FROM,
                audio_from_s=8.0 - CRY_ONSET)  # fmt: skip


def _kp(posture: str) -> np.ndarray:
    """COCO-17 keypoints of an infant from above (as tests/rollover/conftest.py), scaled to
    fit a 320x240 frame."""
    kp = np.zeros((17, 3))
    kp[:, 2] = HI

    def put(i: int, x: float, y: float, s: float = HI) -> None:
        kp[i] = [x, y, s]

    if posture == "supine":
        put(0, 200, 110), put(1, 210, 100), put(2, 190, 100), put(3, 222, 105)
        put(4, 178, 105), put(5, 240, 150), put(6, 160, 150), put(11, 225, 250)
        put(12, 175, 250)
    else:
        put(0, 185, 115, LO), put(1, 190, 100, LO), put(2, 180, 102), put(3, 215, 105, LO)
        put(4, 176, 108), put(5, 160, 150), put(6, 240, 150), put(11, 175, 250)
        put(12, 225, 250)
    put(7, kp[5, 0] + 20, 190), put(8, kp[6, 0] - 20, 190)
    put(9, kp[5, 0] + 25, 225), put(10, kp[6, 0] - 25, 225)
    put(13, kp[11, 0] + 15, 300), put(14, kp[12, 0] - 15, 300)
    put(15, kp[11, 0] + 15, 345), put(16, kp[12, 0] - 15, 345)
    kp[:, :2] *= 0.6
    return kp


class RollingBaby:
    """A pose backend for the generated clip: on its back by day, on its tummy once the
    camera has switched to IR (the clip's roll happens at the day-to-night switch)."""

    name = "test-roll"

    def process(self, rgb: np.ndarray) -> np.ndarray:
        return _kp("prone" if is_ir_frame(rgb, 0.02) else "supine")

    def close(self) -> None:
        pass


def _need(tool: str) -> str:
    path = shutil.which(tool)
    if path is None:
        pytest.skip(f"{tool} is not installed (apt-get install {tool}); this test needs it")
    return path


def _free_port(kind: int = socket.SOCK_STREAM) -> int:
    with socket.socket(socket.AF_INET, kind) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_clip(tmp_path_factory.mktemp("clip") / "camera.ts", SPEC)


@pytest.fixture(scope="module")
def reference() -> np.ndarray:
    return (read_rgb(package_file(SAMPLE_REFERENCE)) * 255).astype(np.uint8)


class Collector:
    """Records with the wall time each arrived."""

    def __init__(self) -> None:
        self.items: list[tuple[float, Record]] = []
        self.lock = threading.Lock()

    def __call__(self, rec: Record) -> None:
        with self.lock:
            self.items.append((time.monotonic(), rec))

    def types(self, *, status: bool = True) -> list[str]:
        return [r.type for _, r in self.items if status or r.kind != "status"]

    def first(self, type_: str) -> tuple[float, Record]:
        return next(x for x in self.items if x[1].type == type_)

    def wait_for(self, type_: str, timeout: float) -> tuple[float, Record]:
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            with self.lock:
                hit = [x for x in self.items if x[1].type == type_]
            if hit:
                return hit[0]
            time.sleep(0.05)
        raise AssertionError(f"no {type_!r} within {timeout} s; got {self.types()}")


# ------------------------------------------------------------------------------ schema, state


def test_alert_schema_is_one_versioned_record(tmp_path: Path) -> None:
    rec = Record("cry", "alert", "cry", 12.3456, 0.93, camera="nursery", detail={"onset": 10.2})
    d = validate(json.loads(rec.to_json()))
    assert d["schema"] == "cribwatch-alert" and d["version"] == SCHEMA_VERSION
    assert list(d)[:10] == ["schema", "version", "type", "kind", "stage", "stream_time",
                            "wall_time", "confidence", "camera", "detail"]  # fmt: skip
    assert d["stream_time"] == 12.346 and d["wall_time"].endswith("Z")
    with pytest.raises(CribwatchError, match="stage"):
        Record("cry", "alert", "nowhere", 1.0)
    with pytest.raises(CribwatchError):
        validate({**d, "version": 99})
    # append, never truncate; one header line per file, each line whole
    path = tmp_path / "events.jsonl"
    for _ in range(2):
        ev = EventsFile(path)
        ev.write(rec)
        ev.close()
    lines = path.read_text().splitlines()
    assert len(lines) == 3 and json.loads(lines[0])["header"] is True
    assert len(read_events(path)) == 2 and written_by_cribwatch(path)


def test_state_file_is_validated_and_versioned(tmp_path: Path) -> None:
    p = tmp_path / "camera.json"
    assert load_state(p) == CameraState()  # absent: the defaults
    good = {"format": "cribwatch-camera", "version": 1, "name": "nursery", "rotation": 90,
            "references": [["default", "day.png"]], "cry_threshold": 0.6}  # fmt: skip
    p.write_text(json.dumps(good))
    s = load_state(p)
    assert s.rotation == 90 and s.reference_path(tmp_path) == tmp_path / "day.png"
    for bad, word in (
        ({**good, "rotaton": 90}, "rotaton"),
        ({**good, "rotation": 45}, "rotation"),
        ({**good, "version": 2}, "version"),
        ({**good, "cry_threshold": True}, "cry_threshold"),
        ({**good, "gray_threshold": 2.0}, "gray_threshold"),
        ({**good, "daynight": "dusk"}, "daynight"),
        ({**good, "references": [["a", "x.png"], ["a", "y.png"]]}, "references"),
        ({**good, "format": "something"}, "camera state"),
    ):
        p.write_text(json.dumps(bad))
        with pytest.raises(CribwatchError, match=word) as exc:
            load_state(p)
        assert str(p) in exc.value.message
    save_state(p, s.with_reference("learned.png"))
    assert load_state(p).reference_path() == Path("learned.png") and written_by_cribwatch(p)


def test_serve_address_rules(tmp_path: Path) -> None:
    assert check_serve("127.0.0.1:8080", None, None, None) == ("127.0.0.1", 8080)
    assert check_serve("localhost", None, None, None) == ("localhost", 8080)
    with pytest.raises(CribwatchError, match="--token"):
        check_serve("0.0.0.0:8080", None, None, None)
    with pytest.raises(CribwatchError, match="16 characters"):
        check_serve("0.0.0.0:8080", "short", None, None)
    with pytest.raises(CribwatchError, match="port"):
        check_serve("127.0.0.1:99999", None, None, None)
    with pytest.raises(CribwatchError, match="--cert"):
        check_serve("127.0.0.1:8080", None, tmp_path / "c.pem", None)
    assert parse_hostport("[::1]:1884", "--mqtt", 1883) == ("::1", 1884)


# ------------------------------------------------------------------------------ file source


def test_file_source_every_output(clip: Path, reference: np.ndarray, tmp_path: Path) -> None:
    """A file at full speed (``--fast``): every frame and every audio sample processed; colour
    at night; the roll and the cry alerted; a clip per alert (atomic,
    retention 1); the events file appended to, never truncated."""
    events, clips = tmp_path / "events.jsonl", tmp_path / "clips"
    got = Collector()
    opts = MonitorOptions(source=str(clip), reference=None, events=events, clips=clips,
                          clips_keep=1, clip_pre_s=1.0, clip_post_s=1.0, realtime=False,
                          state=tmp_path / "cam.json")  # fmt: skip
    built = build(opts, on_record=got, pose=RollingBaby())
    m = built.monitor
    m.start()
    assert m.wait(60)
    h = m.close()["health"]
    assert h["audio_samples_in"] == h["audio_samples_done"] > SPEC.seconds * 16000 * 0.98
    assert h["frames_processed"] == h["frames_received"] == SPEC.seconds * SPEC.fps
    assert h["frames_dropped"] == 0
    types = got.types()
    assert types[:2] == ["stream_up", "day"], types
    assert types.index("night") < types.index("cry") < types.index("cry_end"), types
    assert types.index("day") < types.index("to_prone") < types.index("cry"), types
    assert "night" in types
    assert h["colour"] is True  # the learned day reference coloured the night
    assert load_state(tmp_path / "cam.json").reference_path() is not None
    written = sorted(p.name for p in clips.iterdir())
    assert len(written) == 1 and written[0].endswith(".mp4"), written  # retention: keep 1
    assert not [p for p in tmp_path.rglob("*") if ".tmp" in p.name or p.name.startswith(".")]
    import av

    with av.open(str(clips / written[0])) as c:
        assert c.streams.video[0].frames > 5 or c.duration
        assert len(c.streams.audio) == 1  # the stream's sound around the alert
        n_audio = sum(f.samples for f in c.decode(audio=0))
    with av.open(str(clips / written[0])) as c:
        n_video = sum(1 for _ in c.decode(video=0))
    assert abs(n_audio / 16000 - n_video / SPEC.fps) < 0.15, (n_audio, n_video)
    first = events.read_text()
    m2 = build(opts, pose=RollingBaby()).monitor
    m2.start()
    m2.wait(60)
    m2.close()
    assert events.read_text().startswith(first)  # appended
    assert len(read_events(events)) > len(types)


def test_corrupt_packets_are_skipped(clip: Path, tmp_path: Path) -> None:
    data = bytearray(clip.read_bytes())
    rng = np.random.default_rng(3)
    for start in (len(data) // 3, len(data) // 2):
        data[start : start + 3000] = rng.integers(0, 256, 3000, dtype=np.uint8).tobytes()
    bad = tmp_path / "bad.ts"
    bad.write_bytes(bytes(data))
    m = Monitor(str(bad), config=MonitorConfig(jpeg=False),
                source_config=SourceConfig(realtime=False))  # fmt: skip
    m.start()
    assert m.wait(60)
    h = m.close()["health"]
    r = h["readers"]["video"]
    assert r["state"] == "ended" and r["video_frames"] > 100
    assert r["corrupt_packets"] + r["decode_errors"] > 0, r  # noticed and counted


# ------------------------------------------------------------------------------ live UDP


def _serve_udp(clip: Path, port: int, start: float = 0.0) -> subprocess.Popen[bytes]:
    cmd = [shutil.which("ffmpeg") or "ffmpeg", "-nostdin", "-loglevel", "error", "-re"]
    if start:
        cmd += ["-ss", f"{start}"]
    cmd += ["-i", str(clip), "-c", "copy", "-f", "mpegts", f"udp://127.0.0.1:{port}?pkt_size=1316"]
    return subprocess.Popen(cmd, stdin=subprocess.DEVNULL)


def test_udp_stream_cut_and_restored(clip: Path, reference: np.ndarray) -> None:
    """A live UDP MPEG-TS stream from ffmpeg: the roll, the day-to-night switch, the cut (down),
    the restore (up again), then the cry, in that order and each within its bound."""
    _need("ffmpeg")
    port = _free_port(socket.SOCK_DGRAM)
    got = Collector()
    m = Monitor(
        f"udp://127.0.0.1:{port}", reference=reference, pose=RollingBaby(),
        state=CameraState(daynight_hold_s=1.0), on_record=got, learn_reference=False,
        source_config=SourceConfig(open_timeout_s=3.0, read_timeout_s=1.0, backoff_s=0.2,
                                   backoff_max_s=0.5),
    )  # fmt: skip
    m.start()
    sender = _serve_udp(clip, port)
    try:
        got.wait_for("stream_up", 8)
        end = time.monotonic() + 10
        while m.reader.stream_time < CUT_AT and time.monotonic() < end:
            time.sleep(0.02)
        sender.kill()
        sender.wait()
        cut = time.monotonic()
        down_at, _ = got.wait_for("stream_down", 5)
        assert down_at - cut < 3.0  # read timeout 1 s
        time.sleep(1.0)
        sender = _serve_udp(clip, port, RESUME_FROM)
        restore = time.monotonic()
        ups = lambda: [x for x in got.items if x[1].type == "stream_up"]  # noqa: E731
        while len(ups()) < 2 and time.monotonic() - restore < 8:
            time.sleep(0.05)
        assert len(ups()) == 2, got.types()
        cry_at, cry = got.wait_for("cry", 10)
    finally:
        sender.kill()
        sender.wait()
        snap = m.close()
    order = got.types()
    want = ["stream_up", "day", "night", "to_prone", "stream_down", "stream_up", "cry"]
    # roll-over posture events (kind "event") duplicate their alert's type: alerts only
    seen = [
        r.type for _, r in got.items if r.is_alert or (r.type in want and r.stage != "rollover")
    ]
    assert seen[: len(want)] == want, order
    _, prone = got.first("to_prone")
    _, night = got.first("night")
    assert NIGHT_FROM < prone.stream_time < NIGHT_FROM + 3.0  # roll: smoothing + dwell
    assert NIGHT_FROM < night.stream_time < NIGHT_FROM + 2.5  # hold 1 s
    assert cry.detail["latency_s"] <= 3.0 and cry.detail["wall_latency_s"] <= 3.5, cry.detail
    assert order[-1] == "cry_end"  # the open bout closed at the end
    h = snap["health"]
    assert h["readers"]["video"]["reconnects"] >= 1
    assert h["audio_samples_in"] == h["audio_samples_done"]
    times = [r.stream_time for _, r in got.items if r.stage != "cry"]
    assert times == sorted(times)  # stream time never goes back over a reconnect


# ------------------------------------------------------------------------------ live RTSP

RTSP_SERVER = Path(__file__).with_name("rtsp_server.py")
RTSP_PACKAGES = ("gir1.2-gst-rtsp-server-1.0 python3-gst-1.0 gstreamer1.0-plugins-good "
                 "gstreamer1.0-plugins-bad")  # fmt: skip
_GST_CHECK = (
    "import gi; gi.require_version('Gst', '1.0'); gi.require_version('GstRtspServer', '1.0');"
    "from gi.repository import Gst, GstRtspServer; Gst.init(None);"
    "missing = [e for e in ('tsdemux', 'h264parse', 'aacparse', 'rtph264pay', 'rtpmp4gpay')"
    " if Gst.ElementFactory.find(e) is None]; print(' '.join(missing));"
    "raise SystemExit(bool(missing))"
)


def _gst_python() -> str:
    """A Python with PyGObject, GStreamer and gst-rtsp-server (Debian's system Python), or a
    skip naming the packages."""
    why = "no system python3"
    for cand in dict.fromkeys(["/usr/bin/python3", shutil.which("python3") or ""]):
        if not cand or not Path(cand).exists():
            continue
        r = subprocess.run([cand, "-c", _GST_CHECK], capture_output=True, text=True, timeout=60)
        if r.returncode == 0:
            return cand
        why = (f"GStreamer elements missing: {r.stdout.strip()}" if r.stdout.strip()
               else (r.stderr.strip().splitlines() or ["no gst-rtsp-server"])[-1])  # fmt: skip
    pytest.skip(f"RTSP server unavailable ({why}); apt-get install {RTSP_PACKAGES}")


def _serve_rtsp(python: str, clip: Path, port: int) -> subprocess.Popen[str]:
    cmd = [python, str(RTSP_SERVER), str(clip), str(port)]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stdin=subprocess.DEVNULL, text=True)
    assert proc.stdout is not None
    line = proc.stdout.readline().strip()
    assert line == "ready", f"RTSP server did not start: {line!r}"
    return proc


def _in_order(seq: list[str], want: list[str]) -> bool:
    it = iter(seq)
    return all(w in it for w in want)


def test_rtsp_stream_from_a_real_server_cut_and_restored(clip: Path, reference: np.ndarray) -> None:
    """The clip served by a real RTSP server (GStreamer's gst-rtsp-server on 127.0.0.1, RTP
    over the RTSP TCP connection): the day-to-night switch, the roll, the server killed
    (down) and started again (up: the clip plays from its start), then the cry, in that order
    and each within its bound."""
    python = _gst_python()
    port = _free_port()
    url = f"rtsp://127.0.0.1:{port}/cam"
    got = Collector()
    server = _serve_rtsp(python, clip, port)
    m = Monitor(
        url, reference=reference, pose=RollingBaby(), state=CameraState(daynight_hold_s=1.0),
        on_record=got, learn_reference=False,
        source_config=SourceConfig(open_timeout_s=5.0, read_timeout_s=1.0, backoff_s=0.2,
                                   backoff_max_s=0.5),
    )  # fmt: skip
    m.start()
    try:
        got.wait_for("stream_up", 10)
        end = time.monotonic() + 12
        while m.reader.stream_time < CUT_AT and time.monotonic() < end:
            time.sleep(0.02)
        assert m.reader.stream_time >= CUT_AT, got.types()
        server.kill()
        server.wait()
        cut = time.monotonic()
        down_at, _ = got.wait_for("stream_down", 6)
        assert down_at - cut < 4.0
        server = _serve_rtsp(python, clip, port)
        restore = time.monotonic()
        ups = lambda: [x for x in got.items if x[1].type == "stream_up"]  # noqa: E731
        while len(ups()) < 2 and time.monotonic() - restore < 10:
            time.sleep(0.05)
        assert len(ups()) == 2, got.types()
        _, cry = got.wait_for("cry", 15)
    finally:
        server.kill()
        server.wait()
        snap = m.close()
    seen = [r.type for _, r in got.items if r.is_alert or r.stage != "rollover"]
    want = ["stream_up", "day", "night", "to_prone", "stream_down", "stream_up", "cry", "cry_end"]
    assert _in_order(seen, want), seen
    assert seen.index("to_prone") < seen.index("stream_down")
    _, prone = got.first("to_prone")
    _, night = got.first("night")
    assert NIGHT_FROM < night.stream_time < NIGHT_FROM + 2.5  # hold 1 s
    assert NIGHT_FROM < prone.stream_time < NIGHT_FROM + 3.0  # roll: smoothing + dwell
    assert cry.detail["latency_s"] <= 3.0 and cry.detail["wall_latency_s"] <= 3.5, cry.detail
    h = snap["health"]
    assert h["readers"]["video"]["reconnects"] >= 1
    assert h["audio_samples_in"] == h["audio_samples_done"] > 0
    times = [r.stream_time for _, r in got.items if r.stage != "cry"]
    assert times == sorted(times)  # stream time never goes back over a reconnect


# ------------------------------------------------------------------------------ V4L2


def _loopback_device() -> str:
    """A v4l2loopback device (``/dev/videoN``), or a skip saying why there is none."""
    sysfs = Path("/sys/class/video4linux")
    for name in sorted(sysfs.glob("video*/name")) if sysfs.is_dir() else []:
        label = name.read_text(errors="replace").lower()
        if "loopback" in label or "dummy" in label:
            return f"/dev/{name.parent.name}"
    why = (
        "this kernel has no loadable-module support (no /proc/modules)"
        if not Path("/proc/modules").exists()
        else "the module is not loaded (modprobe v4l2loopback)"
    )
    pytest.skip(
        f"no v4l2loopback device: {why}; the V4L2 test needs the kernel module "
        "(Debian: apt-get install v4l2loopback-dkms, then modprobe v4l2loopback)"
    )


def test_v4l2_device_from_a_loopback(clip: Path, reference: np.ndarray) -> None:
    """The clip written by ffmpeg into a v4l2loopback device, read by the monitor as a camera
    (``/dev/videoN``, PyAV's v4l2 input): the day-to-night switch and the roll, in order."""
    dev = _loopback_device()
    ffmpeg = _need("ffmpeg")
    sender = subprocess.Popen(
        [ffmpeg, "-nostdin", "-loglevel", "error", "-re", "-i", str(clip), "-map", "0:v",
         "-pix_fmt", "yuv420p", "-f", "v4l2", dev], stdin=subprocess.DEVNULL,
    )  # fmt: skip
    got = Collector()
    m = Monitor(
        dev, reference=reference, pose=RollingBaby(), state=CameraState(daynight_hold_s=1.0),
        on_record=got, learn_reference=False, listen=False,
        source_config=SourceConfig(open_timeout_s=5.0, read_timeout_s=2.0, backoff_s=0.2,
                                   backoff_max_s=0.5),
    )  # fmt: skip
    try:
        time.sleep(0.5)  # the writer sets the device's format first
        m.start()
        got.wait_for("to_prone", 20)
    finally:
        sender.kill()
        sender.wait()
        snap = m.close()
    seen = [r.type for _, r in got.items if r.is_alert or r.stage != "rollover"]
    assert _in_order(seen, ["stream_up", "day", "night", "to_prone"]), seen
    assert snap["health"]["frames_processed"] > 10


# ------------------------------------------------------------------------------ the page


@pytest.fixture
def chrome(tmp_path: Path) -> Iterator[Any]:
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError:
        pytest.skip("selenium is not installed (pip install selenium); the page test needs it")
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    if browser is None:
        pytest.skip("chromium is not installed (apt-get install chromium)")
    driver_path = _need("chromedriver")
    opts = webdriver.ChromeOptions()
    opts.binary_location = browser
    opts.page_load_strategy = "eager"  # the MJPEG image never finishes loading
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--disable-dev-shm-usage",
                 f"--user-data-dir={tmp_path / 'chrome-profile'}"):  # fmt: skip
        opts.add_argument(flag)
    drv = webdriver.Chrome(service=Service(driver_path), options=opts)
    drv.set_page_load_timeout(15)
    try:
        yield drv
    finally:
        drv.quit()


_IMAGE_HASH = """
const img = document.getElementById('live');
if (!img.complete || !img.naturalWidth) return null;
const c = document.createElement('canvas'); c.width = 64; c.height = 48;
const g = c.getContext('2d'); g.drawImage(img, 0, 0, 64, 48);
const d = g.getImageData(0, 0, 64, 48).data; let h = 0;
for (let i = 0; i < d.length; i += 7) h = (h * 31 + d[i]) >>> 0;
return h;
"""


def test_page_in_headless_chromium(chrome: Any, clip: Path, reference: np.ndarray) -> None:
    port = _free_port()
    got = Collector()
    opts = MonitorOptions(source=str(clip), reference=None, serve=f"127.0.0.1:{port}")
    built = build(opts, on_record=got, pose=RollingBaby())
    m = built.monitor
    m.start()
    try:
        chrome.get(built.url)
        hashes = set()
        end = time.monotonic() + 8
        while len(hashes) < 3 and time.monotonic() < end:
            h = chrome.execute_script(_IMAGE_HASH)
            if h is not None:
                hashes.add(h)
            time.sleep(0.3)
        assert len(hashes) >= 3, "the live image does not change"
        emitted, rec = got.wait_for("to_prone", 10)
        shown = None
        while time.monotonic() - emitted < 5:
            if chrome.find_elements("css selector", "#alerts li[data-type='to_prone']"):
                shown = time.monotonic()
                break
            time.sleep(0.05)
        assert shown is not None and shown - emitted <= 3.0, "alert not on the page within 3 s"
        assert chrome.find_element("css selector", "#stream").text == "up"
    finally:
        m.close()
        built.web.close()  # type: ignore[union-attr]


def _get(url: str, headers: dict[str, str] | None = None,
         ctx: ssl.SSLContext | None = None) -> tuple[int, bytes]:  # fmt: skip
    req = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=5, context=ctx) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


def test_token_required_beyond_localhost(chrome: Any, tmp_path: Path) -> None:
    """Bound to every address: no token -> 401 (browser and plain HTTP); the token (header,
    or ?token= once, then the cookie) -> the page; no path reaches the filesystem."""
    token = "0123456789abcdef-test"
    jpg = cv2.imencode(".jpg", np.full((48, 64, 3), 90, np.uint8))[1].tobytes()
    state = {"camera": "t", "health": {}, "records": [], "timeline": []}
    web = WebServer("0.0.0.0", 0, lambda: state, lambda: (1, jpg), token=token).start()
    base = f"http://127.0.0.1:{web.port}"
    try:
        for path in ("/", "/api/state", "/stream.mjpg", "/frame.jpg", "/etc/passwd"):
            assert _get(base + path)[0] == 401, path
        assert _get(base + "/", {"Authorization": "Bearer wrong-token-xxxxxxx"})[0] == 401
        ok = {"Authorization": f"Bearer {token}"}
        assert _get(base + "/api/state", ok) == (200, json.dumps(state).encode())
        for path in ("/../../etc/passwd", "/%2e%2e/%2e%2e/etc/passwd", "/page.py", "/cribwatch"):
            assert _get(base + path, ok)[0] == 404, path
        for target in ("/\\evil.example/?token=", "//evil.example/?token="):
            req = urllib.request.Request(base + target + token)
            opener = urllib.request.build_opener(_NoRedirect)
            with pytest.raises(urllib.error.HTTPError) as exc:
                opener.open(req, timeout=5)
            e = exc.value
            assert e.code == 303 and e.headers["Location"] == "/", (target, e.headers)
        chrome.get(base + "/")
        assert "token required" in chrome.find_element("tag name", "body").text
        chrome.get(base + f"/?token={token}")
        assert "?token" not in chrome.current_url  # redirected, the token kept in a cookie
        assert chrome.find_element("tag name", "h1").text == "cribwatch"
    finally:
        web.close()


def test_https_with_a_certificate(tmp_path: Path) -> None:
    openssl = _need("openssl")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run([openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                    "-subj", "/CN=localhost", "-keyout", str(key), "-out", str(cert)],
                   check=True, capture_output=True)  # fmt: skip
    token = "0123456789abcdef-tls"
    check_serve("0.0.0.0:8443", token, cert, key)
    web = WebServer("127.0.0.1", 0, lambda: {}, lambda: (0, b""), token=token,
                    cert=cert, key=key).start()  # fmt: skip
    try:
        assert web.url.startswith("https://")
        ctx = ssl.create_default_context(cafile=str(cert))
        ctx.check_hostname = False
        url = f"https://127.0.0.1:{web.port}/api/state"
        assert _get(url, {"Authorization": f"Bearer {token}"}, ctx)[0] == 200
        assert _get(url, None, ctx)[0] == 401
    finally:
        web.close()


# ------------------------------------------------------------------------------ MQTT


def test_mqtt_real_broker(tmp_path: Path) -> None:
    broker = _need("mosquitto")
    try:
        import paho.mqtt.client as paho
    except ImportError:
        pytest.skip("paho-mqtt is not installed (pip install paho-mqtt); it reads the broker back")
    port = _free_port()
    conf = tmp_path / "mosquitto.conf"
    conf.write_text(f"listener {port} 127.0.0.1\nallow_anonymous true\npersistence false\n")
    proc = subprocess.Popen([broker, "-c", str(conf)], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)  # fmt: skip
    try:
        end = time.monotonic() + 5
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                assert time.monotonic() < end, "mosquitto did not start"
                time.sleep(0.05)
        pub = MqttPublisher("127.0.0.1", port, "nursery")
        pub.write(Record("cry", "alert", "cry", 3.0, 0.9, camera="nursery"))
        pub.write(Record("to_prone", "alert", "rollover", 4.0, 0.8, camera="nursery"))
        pub.write(Record("cry_end", "end", "cry", 9.0, 0.9, camera="nursery"))
        end = time.monotonic() + 10  # generous: the machine may be loaded
        while (pub.published < 6 or pub.pending) and time.monotonic() < end:
            time.sleep(0.05)
        time.sleep(0.2)  # the broker has taken every retained message before we subscribe
        # a late subscriber sees the retained discovery, availability and states
        msgs: dict[str, list[tuple[bytes, bool]]] = {}
        c = paho.Client(paho.CallbackAPIVersion.VERSION2)
        c.on_message = lambda cl, u, msg: msgs.setdefault(msg.topic, []).append(
            (msg.payload, msg.retain)
        )
        c.connect("127.0.0.1", port)
        c.subscribe([("homeassistant/#", 0), ("cribwatch/#", 0)])
        c.loop_start()
        end = time.monotonic() + 5
        while "cribwatch/nursery/status" not in msgs and time.monotonic() < end:
            time.sleep(0.05)
        time.sleep(0.3)
        disc = json.loads(msgs["homeassistant/binary_sensor/cribwatch_nursery/cry/config"][0][0])
        assert disc["availability_topic"] == "cribwatch/nursery/status"
        assert disc["state_topic"] == "cribwatch/nursery/cry" and disc["device_class"] == "sound"
        assert msgs["cribwatch/nursery/status"][-1] == (b"online", True)
        assert msgs["cribwatch/nursery/cry"][-1] == (b"OFF", True)
        assert msgs["cribwatch/nursery/rollover"][-1] == (b"ON", True)
        pub.write(Record("to_supine", "event", "rollover", 12.0, 0.8, camera="nursery"))
        end = time.monotonic() + 5
        while not msgs.get("cribwatch/nursery/alert") and time.monotonic() < end:
            time.sleep(0.05)
        live = validate(json.loads(msgs["cribwatch/nursery/alert"][-1][0]))
        assert live["type"] == "to_supine"
        pub.close()
        end = time.monotonic() + 5
        while msgs["cribwatch/nursery/status"][-1][0] != b"offline" and time.monotonic() < end:
            time.sleep(0.05)
        assert msgs["cribwatch/nursery/status"][-1][0] == b"offline"
        c.loop_stop()
        c.disconnect()
    finally:
        proc.terminate()
        proc.wait(5)


# ------------------------------------------------------------------------------ signals


def test_sigterm_closes_cleanly(clip: Path, tmp_path: Path) -> None:
    """``monitor run`` in its own process, stopped by SIGTERM mid-stream: exit 0, every events
    line whole, the pending clip written whole, no temporary file left."""
    events, clips = tmp_path / "events.jsonl", tmp_path / "clips"
    proc = subprocess.Popen(
        [sys.executable, "-m", "cribwatch.cli", "monitor", "run", str(clip), "--loop",
         "--pose", "none", "--events", str(events), "--clips", str(clips)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        env={**os.environ, "PYTHONWARNINGS": "ignore"},
    )  # fmt: skip
    try:
        end = time.monotonic() + 40
        while time.monotonic() < end:
            if events.exists() and any(r["type"] == "cry" for r in read_events(events)):
                break
            time.sleep(0.2)
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, err.decode()[-2000:]
    recs = read_events(events)  # every line parses
    assert [r["type"] for r in recs][:2] == ["stream_up", "day"]
    assert "cry" in [r["type"] for r in recs]
    summary = json.loads(err.decode().strip().splitlines()[-1])["summary"]
    assert summary["stopped_by"] == "signal"
    assert summary["audio_samples_in"] == summary["audio_samples_done"]
    names = [p.name for p in clips.iterdir()]
    assert len(names) == 1 and names[0].endswith("-cry.mp4"), names
    printed = [json.loads(x) for x in out.decode().splitlines()]
    assert [p["type"] for p in printed] == [r["type"] for r in recs]


def test_run_stops_after_duration(clip: Path) -> None:
    h = run(MonitorOptions(source=str(clip), pose="none", colour=False, duration_s=1.0))
    assert h["stopped_by"] == "duration" and h["frames_processed"] > 0


def test_audio_from_another_source(clip: Path) -> None:
    """Video from the camera, audio from a microphone file: every sample to the cry detector."""
    got = Collector()
    mic = package_file("demo/samples/cry/demo.flac")
    m = Monitor(str(clip), audio_source=str(mic), on_record=got, config=MonitorConfig(jpeg=False),
                source_config=SourceConfig(realtime=False))  # fmt: skip
    m.start()
    assert m.wait(60)
    h = m.close()["health"]
    assert h["audio_samples_in"] == h["audio_samples_done"] == 320000
    assert set(h["readers"]) == {"video", "audio"}
    _, cry = got.first("cry")
    assert 7.5 < cry.detail["onset"] < 8.5  # the sample's labelled onset: 8.0 s


class FlakyPose:
    """A pose backend that fails on every third frame."""

    name = "flaky"

    def __init__(self) -> None:
        self.n = 0

    def process(self, rgb: np.ndarray) -> np.ndarray:
        self.n += 1
        if self.n % 3 == 0:
            raise RuntimeError("pose estimator failed")
        return _kp("supine")

    def close(self) -> None:
        pass


def test_a_failing_stage_skips_the_frame(clip: Path) -> None:
    m = Monitor(str(clip), pose=FlakyPose(), config=MonitorConfig(jpeg=False),
                source_config=SourceConfig(realtime=False))  # fmt: skip
    m.start()
    assert m.wait(60)
    h = m.close()["health"]
    assert h["errors"] > 0 and "pose estimator failed" in h["last_error"]
    assert h["frames_processed"] > h["errors"]  # the others went through
    assert h["audio_samples_in"] == h["audio_samples_done"]


def test_reference_bank_of_a_hand_written_state(clip: Path, tmp_path: Path) -> None:
    """A state file written by hand: its preset's reference (relative to the file) colours the
    night; the file itself is never rewritten."""
    shutil.copy(package_file(SAMPLE_REFERENCE), tmp_path / "day.png")
    state = tmp_path / "camera.json"
    text = json.dumps({"format": "cribwatch-camera", "version": 1, "name": "nursery",
                       "daynight": "night", "references": [["default", "day.png"]]})  # fmt: skip
    state.write_text(text)
    got = Collector()
    built = build(MonitorOptions(source=str(clip), state=state, pose="none", realtime=False),
                  on_record=got)  # fmt: skip
    built.monitor.start()
    assert built.monitor.wait(60)
    h = built.monitor.close()["health"]
    assert h["colour"] and h["mode"] == "night" and "color" in h["stages"]
    assert got.types()[:2] == ["stream_up", "night"]
    assert all(r.camera == "nursery" for _, r in got.items)
    assert state.read_text() == text


def test_page_score_follows_the_first_stage_of_a_cascade() -> None:
    """Below the gate the cascade's score is 0; the page still gets the first stage's score."""

    def first(x: np.ndarray) -> np.ndarray:
        return np.full(x.shape[0], 0.6)

    def verifier(audio: np.ndarray) -> np.ndarray:
        return np.full(audio.shape[0], 0.9)

    tap = _ScoreTap(CascadeScorer(first, cast(Any, verifier), gate=0.98))
    out = tap(np.zeros((2, 98, 64)), np.zeros((2, 15600)))
    assert out.tolist() == [0.0, 0.0] and tap.last == 0.0
    assert tap.last_first == pytest.approx(0.6)
    tap.scorer.gate = 0.5
    tap(np.zeros((1, 98, 64)), np.zeros((1, 15600)))
    assert tap.last == pytest.approx(0.9) and tap.last_first == pytest.approx(0.6)
    single = _ScoreTap(first)
    single(np.zeros((1, 98, 64)))
    assert single.last_first == single.last == pytest.approx(0.6)
