"""A generated camera recording: the scene by day, then by night (IR grey), with the bundled
cry sample in its audio track and, with ``ClipSpec.rolls``, an infant seen from above who rolls
from its back to prone and back (:func:`person_track`: body and limbs from the roll-over
generator, drawn as a simple figure; each frame's index stamped in its bottom-left corner, which
:class:`ScenePose` reads to hand the detector that frame's keypoints). The monitor's tests serve
it as a live stream, the bench times the monitor on it and the demo runs the monitor over it.
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
from cribwatch.rollover.synth import Script, body_points, label_events, posture_labels, project
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
    rolls: tuple[float, ...] = ()
    """Times a generated infant starts a roll from its back to prone (none: an empty cot)."""
    roll_s: float = 0.8
    """Length of one roll."""
    prone_s: float = 2.0
    """Seconds prone before rolling back (over ``roll_s``)."""
    person_seed: int = 3
    """Seed of the person's body and limb drift."""


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
    differs; with ``spec.rolls`` the infant is drawn (grey under IR) and the frame's index
    stamped."""
    day, night = _scene(spec.width, spec.height)
    day8 = (np.clip(day, 0, 1) * 255).astype(np.uint8)
    night8 = (np.clip(night, 0, 1) * 255).astype(np.uint8)
    night8 = np.repeat(night8[:, :, None], 3, axis=2)
    n = int(round(spec.seconds * spec.fps))
    side = max(8, spec.height // 12)
    track = person_track(spec) if spec.rolls else None
    for i in range(n):
        t = i / spec.fps
        is_night = t >= spec.night_from_s
        img = (night8 if is_night else day8).copy()
        if track is not None:
            if is_night:  # the person under IR: grey, as the scene
                fig = day8.copy()
                draw_person(fig, track, i, spec)
                moved = np.any(fig != day8, axis=2)
                grey = (0.299 * fig[..., 0] + 0.587 * fig[..., 1] + 0.114 * fig[..., 2]) * 0.8
                img[moved] = np.clip(grey[moved], 0, 255).astype(np.uint8)[:, None]
            else:
                draw_person(img, track, i, spec)
        x = int((spec.width - side) * (0.5 + 0.5 * np.sin(2 * np.pi * t / 3.0)))
        y = spec.height // 8
        img[y : y + side, x : x + side] = 250
        if track is not None:
            draw_stamp(img, i)
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


# ---------------------------------------------------------------------------- a person who rolls

STAMP_BITS = 12
"""Bits of the frame-index stamp drawn into the bottom-left corner of a clip with rolls."""
STAMP_CELL = 8
"""Side of one stamp cell in pixels (survives H.264 at its default quality)."""
_CAM_DIST_M = 1.0
"""The generated camera looks straight down from this height above the mattress."""
_SKIN, _HAIR, _SHIRT, _PANTS, _SOCK = (224, 178, 148), (70, 45, 28), (96, 140, 205), (
    205, 120, 150), (245, 245, 240)  # fmt: skip
_FACE_OFF, _TORSO_OFF = 0.25, 0.5
"""Visibility offsets of the roll-over generator (``SynthConfig.face_hidden/torso_hidden``)."""


@dataclass(frozen=True)
class PersonTrack:
    """The generated person of a clip with rolls: per-frame keypoints and the true rolls."""

    kp: np.ndarray
    """(N, 17, 3) float32 COCO-17 ``[x, y, score]`` in pixels, one row per frame."""
    posture: list[str]
    """True posture per frame (``supine``, ``side_left``/``side_right``, ``prone``)."""
    prone_onsets: list[float]
    """Clip times of each roll's onset: the first frame whose true posture is prone."""
    pts3d: np.ndarray
    """(N, 17, 3) body points in metres (mattress frame, z up), for drawing."""
    facing: np.ndarray
    """(N, 17) how much each keypoint faces the camera (NaN: no preferred direction)."""
    head_dir: np.ndarray
    """(N, 3) unit direction the face points to (mattress frame)."""


def _ease(x: np.ndarray) -> np.ndarray:
    return 0.5 - 0.5 * np.cos(np.pi * np.clip(x, 0.0, 1.0))


def _camera(spec: ClipSpec) -> tuple[np.ndarray, np.ndarray, float]:
    centre = np.array([0.0, -0.03, _CAM_DIST_M])
    rot = np.array([[1.0, 0.0, 0.0], [0.0, -1.0, 0.0], [0.0, 0.0, -1.0]])  # right, down, fwd
    return centre, rot, float(spec.height)


def person_track(spec: ClipSpec) -> PersonTrack:
    """The person of a clip with ``spec.rolls``: an infant lying on its back under a camera
    looking straight down, who rolls to prone at each time in ``spec.rolls`` (over
    ``roll_s``), stays prone ``prone_s``, and rolls back. Body, limbs and their slow drift come
    from the roll-over generator (:func:`cribwatch.rollover.synth.body_points`, fixed seed);
    keypoint scores follow its visibility rule (a joint facing away from the camera is
    hidden); positions are the exact projections (no estimator noise)."""
    n = int(round(spec.seconds * spec.fps))
    t = np.arange(n) / spec.fps
    roll = np.zeros(n)
    for r0 in spec.rolls:
        back = r0 + spec.roll_s + spec.prone_s
        roll = np.maximum(
            roll, np.pi * (_ease((t - r0) / spec.roll_s) - _ease((t - back) / spec.roll_s))
        )
    # a prone infant turns its face to one side to breathe (the generator's prone head turn)
    head = np.radians(80.0) * (roll / np.pi)
    zero = np.zeros(n, dtype=bool)
    script = Script(roll=roll, head=head, covered=zero, arm=zero.copy(), kick=np.zeros(n))
    pts, facing = body_points(script, np.random.default_rng(spec.person_seed), 1.0)
    centre, rot, focal = _camera(spec)
    xy = project(pts, centre, rot, focal, spec.width, spec.height)
    off = np.where(np.isin(np.arange(17), [5, 6, 11, 12]), _TORSO_OFF, _FACE_OFF)
    vis = 1.0 / (1.0 + np.exp(-(np.nan_to_num(facing, nan=1.0) + off[None, :]) / 0.1))
    score = np.where(vis > 0.5, 0.9, 0.1)
    kp = np.concatenate([xy, score[:, :, None]], axis=2).astype(np.float32)
    labels = posture_labels(roll)
    onsets = [tt for tt, e in label_events(t, labels) if e == "to_prone"]
    head_dir = pts[:, 0] - 0.5 * (pts[:, 3] + pts[:, 4])
    head_dir /= np.maximum(np.linalg.norm(head_dir, axis=1, keepdims=True), 1e-9)
    return PersonTrack(kp, labels, onsets, pts, facing, head_dir)


def _draw_head(img: np.ndarray, c: np.ndarray, r: float, face: np.ndarray) -> None:
    """A sphere seen from above: skin where it faces ``face`` (3-D, camera frame), hair
    elsewhere."""
    x0, y0 = int(c[0] - r) - 1, int(c[1] - r) - 1
    x1, y1 = int(c[0] + r) + 2, int(c[1] + r) + 2
    h, w = img.shape[:2]
    xa, ya = max(x0, 0), max(y0, 0)
    xb, yb = min(x1, w), min(y1, h)
    if xa >= xb or ya >= yb:
        return
    yy, xx = np.mgrid[ya:yb, xa:xb].astype(np.float64)
    nx, ny = (xx - c[0]) / r, (yy - c[1]) / r
    rr = nx * nx + ny * ny
    inside = rr <= 1.0
    nz = np.sqrt(np.clip(1.0 - rr, 0.0, 1.0))
    dot = nx * face[0] + ny * face[1] + nz * face[2]
    shade = (0.75 + 0.25 * nz)[:, :, None]
    col = np.where((dot > 0.25)[:, :, None], np.array(_SKIN), np.array(_HAIR)) * shade
    region = img[ya:yb, xa:xb]
    region[inside] = col[inside].astype(np.uint8)


def draw_person(img: np.ndarray, track: PersonTrack, i: int, spec: ClipSpec) -> None:
    """Draw frame ``i`` of ``track`` into ``img`` (RGB uint8, in place): limbs, torso and head
    painted from the lowest part up, a face where the head faces the camera."""
    centre, rot, focal = _camera(spec)
    p3 = track.pts3d[i]
    xy = track.kp[i, :, :2]
    px = focal / _CAM_DIST_M
    limb = max(2, int(0.045 * px))

    def pt(k: int) -> tuple[int, int]:
        return int(round(float(xy[k, 0]))), int(round(float(xy[k, 1])))

    parts: list[tuple[float, str, tuple[int, ...], tuple[int, int, int]]] = []
    for a, b, col in ((11, 13, _PANTS), (13, 15, _PANTS), (12, 14, _PANTS), (14, 16, _PANTS),
                      (5, 7, _SHIRT), (7, 9, _SKIN), (6, 8, _SHIRT), (8, 10, _SKIN)):  # fmt: skip
        parts.append((float(p3[a, 2] + p3[b, 2]) / 2, "limb", (a, b), col))
    parts.append((float(p3[[5, 6, 11, 12], 2].mean()), "torso", (5, 6, 12, 11), _SHIRT))
    parts.append((float(p3[[3, 4], 2].mean()), "head", (), _SKIN))
    neck, headc = (xy[5] + xy[6]) / 2, (xy[3] + xy[4]) / 2
    cv2.line(img, (int(neck[0]), int(neck[1])), (int(headc[0]), int(headc[1])), _SKIN, limb,
             cv2.LINE_AA)  # fmt: skip
    for _, kind, idx, col in sorted(parts, key=lambda p: p[0]):
        if kind == "limb":
            a, b = idx
            dark = tuple(int(v * 0.6) for v in col)
            cv2.line(img, pt(a), pt(b), dark, limb + 2, cv2.LINE_AA)
            cv2.line(img, pt(a), pt(b), col, limb, cv2.LINE_AA)
            end = b if b in (9, 10, 15, 16) else None
            if end is not None:
                cv2.circle(img, pt(end), int(limb * 0.7), _SKIN if end in (9, 10) else _SOCK,
                           -1, cv2.LINE_AA)  # fmt: skip
        elif kind == "torso":
            poly = np.array([pt(k) for k in idx], dtype=np.int32)
            cv2.fillPoly(img, [poly], col, cv2.LINE_AA)
            cv2.polylines(img, [poly], True, tuple(int(v * 0.7) for v in col), 2, cv2.LINE_AA)
        else:
            hc = (xy[3] + xy[4]) / 2
            face_cam = rot @ track.head_dir[i]
            face_cam = np.array([face_cam[0], face_cam[1], -face_cam[2]])  # towards the camera
            r = 0.07 * px
            _draw_head(img, hc, r, face_cam)
            for k, col2, rad in ((1, (25, 20, 20), 0.16), (2, (25, 20, 20), 0.16),
                                 (0, (200, 120, 105), 0.14)):  # fmt: skip
                f = track.facing[i, k]
                if np.isfinite(f) and f > 0.15:
                    cv2.circle(img, pt(k), max(1, int(rad * r)), col2, -1, cv2.LINE_AA)


def draw_stamp(img: np.ndarray, index: int) -> None:
    """The frame's index in :data:`STAMP_BITS` black/white cells at the bottom-left corner,
    framed by a white cell on the left and a black one on the right."""
    c = STAMP_CELL
    y = img.shape[0] - c
    bits = [1] + [(index >> b) & 1 for b in range(STAMP_BITS)] + [0]
    for j, bit in enumerate(bits):
        img[y : y + c, j * c : (j + 1) * c] = 255 if bit else 0


def read_stamp(img: np.ndarray) -> int | None:
    """The index :func:`draw_stamp` drew (None: no stamp there)."""
    c = STAMP_CELL
    if img.shape[0] < c or img.shape[1] < (STAMP_BITS + 2) * c:
        return None
    y = img.shape[0] - c + c // 4
    vals = [float(img[y : y + c // 2, j * c + c // 4 : j * c + 3 * c // 4].mean())
            for j in range(STAMP_BITS + 2)]  # fmt: skip
    if vals[0] < 160 or vals[-1] > 95:
        return None
    return sum(1 << b for b in range(STAMP_BITS) if vals[b + 1] >= 128)


class ScenePose:
    """The bench's pose stage on a clip with rolls: runs a real pose backend on each frame
    (its time and CPU are what the monitor pays), and hands the roll-over detector the
    generated keypoints of the frame it was given (found from the frame's index stamp).

    MoveNet does not recognise the drawn infant: on the bench's 30 s clip (640x480, three
    rolls) ``movenet-night`` finds a person (>= 6 of its 13 face, arm and hip keypoints at
    score >= 0.5) in 3% of the frames and never reads prone, so the roll-to-alert latency is
    measured on the person's true keypoints; :attr:`found` counts the frames where the real
    backend found a person.
    """

    def __init__(self, inner: Any, track: PersonTrack) -> None:
        self.inner = inner
        self.track = track
        self.name = f"scene+{getattr(inner, 'name', 'none')}"
        self.frames = 0
        self.found = 0
        self.unstamped = 0

    def process(self, rgb: np.ndarray) -> np.ndarray:
        if self.inner is not None:
            real = np.asarray(self.inner.process(rgb))
            self.found += int((real[[0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12], 2] >= 0.5).sum()
                              >= 6)  # fmt: skip
        self.frames += 1
        idx = read_stamp(rgb)
        if idx is None or idx >= self.track.kp.shape[0]:
            self.unstamped += 1
            return np.zeros((17, 3), dtype=np.float32)
        return self.track.kp[idx].copy()

    def reset(self) -> None:
        if self.inner is not None and hasattr(self.inner, "reset"):
            self.inner.reset()

    def close(self) -> None:
        if self.inner is not None:
            self.inner.close()
