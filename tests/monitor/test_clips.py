"""Alert clips carry the audio around the alert: an AAC track as long as the video, with the
stream's sound at the right place, written atomically."""

from __future__ import annotations

import time
from pathlib import Path

import av
import cv2
import numpy as np

from cribwatch.io import written_by_cribwatch
from cribwatch.monitor.clips import SR, ClipConfig, ClipRecorder
from cribwatch.monitor.schema import Record

FPS = 15
TONE = (4.5, 5.5)  # stream seconds with a 440 Hz tone; silence elsewhere


def _jpeg(i: int) -> bytes:
    img = np.full((120, 160, 3), 40, np.uint8)
    cv2.putText(img, str(i), (20, 80), cv2.FONT_HERSHEY_SIMPLEX, 1.5, (255, 255, 255), 2)
    ok, buf = cv2.imencode(".jpg", img)
    assert ok
    return buf.tobytes()


def _feed(rec: ClipRecorder, until: float, audio: bool = True) -> None:
    """Frames at 15 fps and audio in 1024-sample blocks up to ``until`` (audio first)."""
    block = 1024
    n_audio = int(until * SR)
    t_all = np.arange(n_audio) / SR
    pcm = np.where((t_all >= TONE[0]) & (t_all < TONE[1]),
                   0.5 * np.sin(2 * np.pi * 440 * t_all), 0.0).astype(np.float32)  # fmt: skip
    a = 0
    for i in range(int(until * FPS)):
        t = i / FPS
        while audio and a < n_audio and a / SR <= t + 0.1:
            rec.audio(a / SR, pcm[a : a + block])
            a += block
        rec.frame(t, _jpeg(i))


def _decode(path: Path) -> tuple[float, np.ndarray, int]:
    with av.open(str(path)) as c:
        v = c.streams.video[0]
        n_video = sum(1 for _ in c.decode(v))
    with av.open(str(path)) as c:
        a = c.streams.audio[0]
        assert a.codec_context.name == "aac" and a.rate == SR
        x = np.concatenate([f.to_ndarray().reshape(-1) for f in c.decode(a)])
    return n_video / FPS, x, n_video


def test_clip_has_the_audio_around_the_alert(tmp_path: Path) -> None:
    folder = tmp_path / "clips"
    rec = ClipRecorder(folder, ClipConfig(pre_s=2.0, post_s=2.0), camera="nursery")
    rec.alert(Record("cry", "alert", "cry", 5.0, 0.9, camera="nursery"))
    _feed(rec, 9.0)
    end = time.monotonic() + 20
    while not rec.written and time.monotonic() < end:
        time.sleep(0.05)
    rec.close()
    assert rec.errors == [] and len(rec.written) == 1
    path = rec.written[0]
    assert written_by_cribwatch(path)
    assert sorted(p.name for p in folder.iterdir()) == [path.name]  # no temporary left
    video_s, x, n_video = _decode(path)
    assert n_video == 4 * FPS + 1  # frames 3.0 .. 7.0 s
    # the audio track is as long as the video (AAC pads to whole 1024-sample frames)
    assert abs(x.shape[0] / SR - video_s) <= 1024 / SR + 0.02, (x.shape[0] / SR, video_s)
    # the tone (4.5-5.5 s of the stream) is 1.5-2.5 s into the clip (which starts at 3.0 s)
    env = np.sqrt(np.convolve(x**2, np.ones(800) / 800, mode="same"))
    loud = np.flatnonzero(env > 0.15) / SR
    assert loud.size, "no tone in the clip's audio"
    # AAC's encoder delay may shift the start by a frame or two (1024 samples = 64 ms)
    assert abs(loud[0] - 1.5) < 0.2 and abs(loud[-1] - 2.5) < 0.2, (loud[0], loud[-1])
    assert env[: int(1.2 * SR)].max() < 0.05  # silence before the tone


def test_clip_without_audio_has_no_audio_track(tmp_path: Path) -> None:
    rec = ClipRecorder(tmp_path / "clips", ClipConfig(pre_s=1.0, post_s=1.0))
    rec.alert(Record("to_prone", "alert", "rollover", 2.0, 0.9))
    _feed(rec, 4.0, audio=False)
    rec.close()
    assert len(rec.written) == 1
    with av.open(str(rec.written[0])) as c:
        assert len(c.streams.video) == 1 and len(c.streams.audio) == 0
