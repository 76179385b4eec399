"""A generated camera recording: the scene by day, then by night (IR grey), with the bundled
cry sample in its audio track. The monitor's tests serve it as a live stream and the bench
times the monitor on it.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import av
import cv2
import numpy as np
import soundfile as sf

from cribwatch.errors import CribwatchError
from cribwatch.io import atomic_path, read_rgb
from cribwatch.sim.night import simulate_night

SAMPLE_REFERENCE = "demo/samples/color/00000/reference.png"
SAMPLE_CRY = "demo/samples/cry/demo.flac"
SAMPLE_CRY_ONSET_S = 8.0
"""Onset of the cry in the bundled sample (its labels.tsv)."""


def package_file(rel: str) -> Path:
    return Path(str(resources.files("cribwatch") / rel))


@dataclass(frozen=True)
class ClipSpec:
    """What :func:`make_clip` writes."""

    seconds: float = 12.0
    width: int = 640
    height: int = 480
    fps: int = 15
    night_from_s: float = 4.0
    """Frames are IR grey from this time on (a day-to-night switch)."""
    audio_from_s: float = 4.0
    """The clip's audio is the cry sample from this second of it (onset at 8 s - this)."""
    codec: str = "libx264"
    container: str = "mpegts"


def cry_onset(spec: ClipSpec) -> float:
    """Stream time of the cry's onset in a clip of ``spec``."""
    return SAMPLE_CRY_ONSET_S - spec.audio_from_s


def _scene(w: int, h: int) -> tuple[np.ndarray, np.ndarray]:
    day = read_rgb(package_file(SAMPLE_REFERENCE))
    day = cv2.resize(day, (w, h), interpolation=cv2.INTER_AREA)
    night, _ = simulate_night(day, 7)
    return day, night


def frames(spec: ClipSpec) -> Iterator[tuple[float, np.ndarray]]:
    """The clip's frames, one at a time: (time, RGB uint8); a square moves so every frame
    differs."""
    day, night = _scene(spec.width, spec.height)
    day8 = (np.clip(day, 0, 1) * 255).astype(np.uint8)
    night8 = (np.clip(night, 0, 1) * 255).astype(np.uint8)
    night8 = np.repeat(night8[:, :, None], 3, axis=2)
    n = int(round(spec.seconds * spec.fps))
    side = max(8, spec.height // 12)
    for i in range(n):
        t = i / spec.fps
        img = (night8 if t >= spec.night_from_s else day8).copy()
        x = int((spec.width - side) * (0.5 + 0.5 * np.sin(2 * np.pi * t / 3.0)))
        y = spec.height // 8
        img[y : y + side, x : x + side] = 250
        yield t, img


def audio(spec: ClipSpec) -> np.ndarray:
    """The clip's audio: the cry sample from ``audio_from_s`` on, 16 kHz float32, padded."""
    x, sr = sf.read(package_file(SAMPLE_CRY), dtype="float32", always_2d=True)
    x = x.mean(axis=1)
    if sr != 16000:
        raise CribwatchError(f"{SAMPLE_CRY}: expected 16 kHz audio, found {sr}")
    a = x[int(spec.audio_from_s * sr) :]
    n = int(spec.seconds * sr)
    if a.shape[0] < n:
        a = np.concatenate([a, np.zeros(n - a.shape[0], np.float32)])
    return a[:n].astype(np.float32)


def make_clip(path: str | os.PathLike[str], spec: ClipSpec | None = None) -> Path:
    """Write the clip (H.264 + AAC in MPEG-TS by default) atomically to ``path``."""
    spec = spec or ClipSpec()
    path = Path(path)
    with atomic_path(path) as tmp:
        cont = av.open(str(tmp), "w", format=spec.container)
        vs: Any = cont.add_stream(spec.codec, rate=spec.fps)
        vs.width, vs.height, vs.pix_fmt = spec.width, spec.height, "yuv420p"
        if spec.codec == "libx264":
            vs.options = {"preset": "veryfast", "tune": "zerolatency", "g": str(spec.fps)}
        a_s: Any = cont.add_stream("aac", rate=16000)
        a_s.layout = "mono"
        pcm = audio(spec)
        chunk = 1024
        vi = ai = 0
        vfr = frames(spec)
        nxt = next(vfr, None)
        # interleave by time
        while nxt is not None or ai < pcm.shape[0]:
            tv = nxt[0] if nxt is not None else float("inf")
            ta = ai / 16000 if ai < pcm.shape[0] else float("inf")
            if tv <= ta:
                assert nxt is not None
                f = av.VideoFrame.from_ndarray(nxt[1], format="rgb24")
                f.pts = vi
                for p in vs.encode(f):
                    cont.mux(p)
                vi += 1
                nxt = next(vfr, None)
            else:
                blk = pcm[ai : ai + chunk]
                af = av.AudioFrame.from_ndarray(blk[None, :], format="flt", layout="mono")
                af.sample_rate = 16000
                af.pts = ai
                for p in a_s.encode(af):
                    cont.mux(p)
                ai += chunk
        for p in vs.encode(None):
            cont.mux(p)
        for p in a_s.encode(None):
            cont.mux(p)
        cont.close()
    return path
