"""Person-found rate of pose methods on night-simulated, rotated photos, and false presence.

The table behind the choice of the default pose backend (``cribwatch rollover measure-night``,
docs/results/rollover-night.md). Photos of people: scikit-image's ``astronaut`` and ``camera``
and photos from google-coral/test_data (``face.jpg``, ``grace_hopper.bmp``, ``squat.bmp``,
``posenet/test_image.bmp``), split into **tuning** photos (the method is chosen on them) and
**held-out** photos (reported, never looked at for the choice). Frames without a person:
scikit-image scenes and pets, google-coral/test_data animals and objects, Debian's
``mate-backgrounds`` wallpapers.

**Reference** (per photo, on the clean upright colour photo cropped around the person as a
crib camera frames an infant): a keypoint is labelled where MoveNet and MediaPipe agree -
one of them scores it >= 0.5 and the other puts it within 0.25 torso lengths - at the mean of
the two positions. A photo needs 6 labelled face/arm/hip keypoints.

**Found** (issue 25): at least 6 of the 13 face, arm and hip keypoints with score >= 0.5 within
0.25 torso lengths of their reference position, after the frame's rotation is undone.
**False presence**: a frame without a person where the method reports >= 6 of the 13 with
score >= 0.5 (:func:`cribwatch.rollover.nightpose.person_present`).

Each photo is turned into night frames with :func:`cribwatch.sim.night.simulate_night` (one
seed per frame) and rotated by 0/90/180/270 degrees. Single-image methods see each frame
alone; tracking methods see a clip per photo and rotation (``clip`` frames, a new night draw
and a jitter of a few pixels each), starting without a track.
"""

from __future__ import annotations

import itertools
import math
import os
import time
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import cv2
import numpy as np
from PIL import Image

from cribwatch.errors import CribwatchError
from cribwatch.io import OUTPUT_MARK, read_rgb, write_json
from cribwatch.progress import Progress, report
from cribwatch.rollover.measure import torso_length
from cribwatch.rollover.movenet import INPUT_SIDE as INPUT
from cribwatch.rollover.movenet import SCORE_KNEE, MoveNetBackend
from cribwatch.rollover.nightpose import (
    UPPER13,
    NightConfig,
    NightPose,
    crop_matrix,
    person_present,
    preprocess_ir,
)
from cribwatch.rollover.pose import MediaPipeBackend, MediaPipeConfig, PoseBackend
from cribwatch.sim.night import render_night, sample_params, simulate_night

PEOPLE_TUNING: tuple[str, ...] = ("skimage:astronaut", "skimage:camera", "coral:face.jpg")
PEOPLE_HELDOUT: tuple[str, ...] = (
    "coral:grace_hopper.bmp",
    "coral:squat.bmp",
    "coral:posenet/test_image.bmp",
)
EMPTY_TUNING: tuple[str, ...] = (
    "skimage:chelsea", "skimage:coffee", "skimage:rocket", "skimage:brick", "skimage:grass",
    "skimage:gravel", "skimage:horse", "skimage:coins",
)  # fmt: skip
EMPTY_HELDOUT: tuple[str, ...] = (
    "coral:cat.bmp", "coral:cat_720p.jpg", "coral:pets.jpg", "coral:dog_segmentation.bmp",
    "coral:owl.jpg", "coral:bird.bmp", "coral:parrot.jpg", "coral:sunflower.bmp",
    "coral:hot_dog.jpg", "coral:dragonfly.bmp",
    "mate:Elephants.jpg", "mate:Garden.jpg", "mate:Dune.jpg", "mate:Wood.jpg",
    "mate:Storm.jpg", "mate:GreenMeadow.jpg", "mate:LadyBird.jpg", "mate:YellowFlower.jpg",
    "mate:Blinds.jpg", "mate:RainDrops.jpg",
)  # fmt: skip
PETS = ("skimage:chelsea", "coral:cat.bmp", "coral:cat_720p.jpg", "coral:pets.jpg",
        "coral:dog_segmentation.bmp", "ocv:baboon.jpg", "ocv:squirrel_cls.jpg",
        "ocv:chicky_512.png")  # fmt: skip

SINGLE: tuple[str, ...] = (
    "mediapipe", "mediapipe+pre", "mediapipe+pre+rot", "movenet", "movenet+pre",
    "movenet+rot", "movenet+pre+rot",
)  # fmt: skip
"""Single-image methods measured (``pre``: IR pre-processing, ``rot``: orientation search)."""
TRACKING: tuple[str, ...] = ("mediapipe-track", "mediapipe+pre+rot-track", "movenet+pre+rot-track")
"""Tracking methods (video): MediaPipe's own tracking as shipped, and the night wrapper's."""


@dataclass(frozen=True)
class NightMeasureConfig:
    """Settings of the measurement."""

    seeds: int = 6
    """Night draws per photo and rotation (single-image methods)."""
    clip: int = 12
    """Frames per clip (tracking methods)."""
    empty_seeds: int = 1
    """Night draws per frame without a person and rotation."""
    seed: int = 25
    """Base seed."""
    max_side: int = 640
    """Photos are downscaled to this longer side first."""
    crop_side: int = 480
    """The crop around the person is rescaled to this longer side."""
    crop_margin: float = 0.45
    """The crop: the reference keypoints' box grown by this fraction of its side per side."""
    agree: float = 0.25
    """Reference and found: a keypoint within this many torso lengths."""
    jitter_px: float = 4.0
    """Tracking clips: largest shift of a frame against the first (pixels)."""
    video: bool = False
    """Tracking clips as a camera films them: one draw of the night camera per clip (NIR
    response, exposure, noise level, blur, JPEG) and new sensor noise per frame. Off: every
    frame of a clip is a new camera draw (the earlier rounds' protocol)."""


def _u8(rgb: np.ndarray) -> np.ndarray:
    a = np.asarray(rgb)
    if a.dtype != np.uint8:
        a = (np.clip(a.astype(np.float32), 0, 1) * 255).round().astype(np.uint8)
    if a.ndim == 2:
        a = np.repeat(a[:, :, None], 3, axis=2)
    return np.ascontiguousarray(a[:, :, :3])


PRE_CROP: dict[str, tuple[int, int, int, int]] = {
    "coral:posenet/test_image.bmp": (120, 0, 316, 480),
    "ocv:basketball1.png": (0, 0, 300, 480),
}
"""Photos with two people: the box (x0, y0, x1, y1) that keeps one (single-pose models)."""


TUX_STAMPS = Path("debian/tuxpaint-stamps-default/usr/share/tuxpaint/stamps")
"""Debian ``tuxpaint-stamps-default`` (GPL-2): photos of animals and people cut out on a
transparent background, under the data root."""


def stamp_frame(path: Path, side: int = 480, fill: float = 0.8, grey: int = 120) -> np.ndarray:
    """A cut-out stamp (RGBA) on a plain grey square, ``fill`` of its side."""
    im = Image.open(path).convert("RGBA")
    s = fill * side / max(im.size)
    im = im.resize((max(1, round(im.width * s)), max(1, round(im.height * s))))
    bg = Image.new("RGB", (side, side), (grey, grey, grey))
    bg.paste(im, ((side - im.width) // 2, (side - im.height) // 2), im)
    return np.asarray(bg)


def tux_animals(data_root: Path) -> tuple[str, ...]:
    """The photographic (not cartoon) mammal, marsupial and bird stamps on this machine:
    tuning frames without a person for the presence check."""
    base = data_root / TUX_STAMPS / "animals"
    if not base.is_dir():
        return ()
    return tuple(
        f"tux:{p.relative_to(data_root / TUX_STAMPS)}"
        for p in sorted(base.rglob("*.png"))
        if "cartoon" not in p.parts
        and p.parts[len(base.parts)] in ("mammals", "birds", "marsupials")
    )


SIDE_TUNING: tuple[str, ...] = ("tux:people/fireman240a.png", "tux:people/fireman200b.png")
"""People seen from the side (faces hidden): tuning frames where a person must stay present."""


def load_image(name: str, data_root: Path) -> np.ndarray | None:
    """A named image as (H, W, 3) uint8 RGB, or None when it is not on this machine."""
    img = _load_image(name, data_root)
    if img is not None and name in PRE_CROP:
        x0, y0, x1, y1 = PRE_CROP[name]
        img = np.ascontiguousarray(img[y0:y1, x0:x1])
    return img


def _load_image(name: str, data_root: Path) -> np.ndarray | None:
    kind, _, rest = name.partition(":")
    if kind == "skimage":
        import skimage.data  # extra: rollover (photos for the measurement only)

        return _u8(getattr(skimage.data, rest)())
    if kind == "tux":
        p = data_root / TUX_STAMPS / rest
        return stamp_frame(p) if p.is_file() else None
    if kind == "coral":
        p = data_root / "coral-test-data" / rest
    elif kind == "ocv":
        p = data_root / OCV_DATA / rest
    elif kind == "mmpose":  # one-person crops of open-mmlab/mmpose's test photos (test-only)
        p = data_root / "mmpose-people" / rest
    elif kind == "mmpose-animal":  # open-mmlab/mmpose's animal test photos (test-only)
        p = data_root / "mmpose-animals" / rest
    elif kind == "plasma":
        hits = sorted((data_root / PLASMA / rest / "contents").glob("screenshot.*"))
        if not hits:
            return None
        p = hits[0]
    elif kind == "mate":
        hits = sorted((data_root / "debian").rglob(rest)) if (data_root / "debian").is_dir() else []
        if not hits:
            return None
        p = hits[0]
    else:
        raise CribwatchError(f"unknown image source {name!r}")
    return _u8(read_rgb(p)) if p.is_file() else None


def _resize(rgb: np.ndarray, side: int, grow: bool = False) -> np.ndarray:
    h, w = rgb.shape[:2]
    s = side / max(h, w)
    if s >= 1 and not grow:
        return rgb
    img = Image.fromarray(rgb).resize(
        (max(1, round(w * s)), max(1, round(h * s))), Image.Resampling.BILINEAR
    )
    return np.asarray(img)


# ------------------------------------------------------------------------------ reference


def consensus(a: np.ndarray, b: np.ndarray, agree: float) -> np.ndarray:
    """Reference keypoints where two models agree: (17, 3) ``[x, y, labelled]``."""
    ref = np.zeros((17, 3))
    both = np.where(
        (a[:, 2:] >= 0.5) & (b[:, 2:] >= 0.5), (a + b) / 2, np.where(a[:, 2:] >= b[:, 2:], a, b)
    )
    scale = torso_length(np.c_[both[:, :2], np.maximum(a[:, 2], b[:, 2])], 0.5)
    if scale <= 0:
        return ref
    for j in range(17):
        conf = max(a[j, 2], b[j, 2]) >= 0.5
        if conf and np.linalg.norm(a[j, :2] - b[j, :2]) <= agree * scale:
            ref[j] = [(a[j, 0] + b[j, 0]) / 2, (a[j, 1] + b[j, 1]) / 2, 1.0]
    return ref


def ref_scale(ref: np.ndarray) -> float:
    """Torso length of a reference (shoulder width / 0.8 without hips)."""
    return torso_length(ref, 0.5)


@dataclass
class Photo:
    """A photo of a person prepared for the measurement."""

    name: str
    rgb: np.ndarray
    ref: np.ndarray
    scale: float


REFERENCE_MOVENET = NightConfig(
    preprocess=False, orientation=False, consistency=0.0, min_keypoints=1,
    verify_flip_drift=1.0, verify_zoom_min=0,
)  # fmt: skip
"""MoveNet as the reference sees the clean colour photo: upright, one refining crop, raw scores."""


def prepare_photo(
    name: str, rgb: np.ndarray, movenet: PoseBackend, mediapipe: PoseBackend,
    cfg: NightMeasureConfig,
) -> Photo | None:  # fmt: skip
    """Crop around the person (consensus of both models) and label the crop."""
    img = _resize(rgb, cfg.max_side)
    ref = consensus(movenet.process(img), mediapipe.process(img), cfg.agree)
    if int(ref[list(UPPER13), 2].sum()) < 6:
        return None
    lab = ref[ref[:, 2] > 0, :2]
    x0, y0 = lab.min(axis=0)
    x1, y1 = lab.max(axis=0)
    side = max(x1 - x0, y1 - y0, ref_scale(ref) * 2)
    m = cfg.crop_margin * side
    h, w = img.shape[:2]
    xa, xb = int(max(0, x0 - m)), int(min(w, x1 + m))
    ya, yb = int(max(0, y0 - m)), int(min(h, y1 + m))
    crop = _resize(img[ya:yb, xa:xb], cfg.crop_side, grow=True)
    ref = consensus(movenet.process(crop), mediapipe.process(crop), cfg.agree)
    scale = ref_scale(ref)
    if int(ref[list(UPPER13), 2].sum()) < 6 or scale <= 0:
        return None
    return Photo(name, crop, ref, scale)


# ------------------------------------------------------------------------------ frames


def night_frame(
    rgb: np.ndarray, seed: int, k_rot: int, shift: tuple[float, float] = (0, 0),
    camera_seed: int | None = None,
) -> np.ndarray:  # fmt: skip
    """``rgb`` as a night frame (grey replicated to RGB, uint8), shifted, rotated by k*90;
    ``camera_seed``: the camera's parameters from this seed, only the noise from ``seed``."""
    if camera_seed is None:
        night, _ = simulate_night(rgb.astype(np.float32) / 255.0, seed)
    else:
        params = sample_params(np.random.default_rng(camera_seed))
        night = render_night(rgb.astype(np.float32) / 255.0, params, np.random.default_rng(seed))
    g = (np.clip(night, 0, 1) * 255).round().astype(np.uint8)
    if shift != (0, 0):
        m = np.array([[1.0, 0.0, shift[0]], [0.0, 1.0, shift[1]]])
        g = cv2.warpAffine(g, m, (g.shape[1], g.shape[0]), borderMode=cv2.BORDER_REFLECT)
    g = np.rot90(g, k_rot)
    return np.ascontiguousarray(np.repeat(g[:, :, None], 3, axis=2))


def clip_camera(cfg: NightMeasureConfig, name: str, k_rot: int, salt: int) -> int | None:
    """The camera seed of one tracking clip (``cfg.video``: one camera per photo and rotation),
    or None (a new camera draw per frame)."""
    if not cfg.video:
        return None
    return cfg.seed + salt * k_rot + zlib.crc32(name.encode()) % 100_000


def unrotate(xy: np.ndarray, k_rot: int, w: int, h: int) -> np.ndarray:
    """Points of ``np.rot90(img, k)`` (img w x h) back in the image's coordinates."""
    x, y = xy[:, 0].astype(np.float64), xy[:, 1].astype(np.float64)
    cw, ch = (w, h) if k_rot % 2 == 0 else (h, w)
    for _ in range(k_rot % 4):
        # one CCW quarter turn maps (x0, y0) of a (ch x cw) image to (y0, ch_w - 1 - x0)
        x, y = (ch - 1) - y, x
        cw, ch = ch, cw
    return np.stack([x, y], 1)


def found(
    kp: np.ndarray, photo: Photo, k_rot: int, shift: tuple[float, float], agree: float
) -> bool:
    """The issue's rule: >= 6 labelled face/arm/hip keypoints reliable and near the reference."""
    h, w = photo.rgb.shape[:2]
    xy = unrotate(kp[:, :2], k_rot, w, h) - np.asarray(shift)
    ok = 0
    for j in UPPER13:
        if photo.ref[j, 2] <= 0 or kp[j, 2] < 0.5:
            continue
        if np.linalg.norm(xy[j] - photo.ref[j, :2]) <= agree * photo.scale:
            ok += 1
    return ok >= 6


# ------------------------------------------------------------------------------ methods


def make_method(
    name: str, knee: float = SCORE_KNEE, consistency: float | None = None,
    check: dict[str, Any] | None = None,
) -> PoseBackend:  # fmt: skip
    """A method by name (:data:`SINGLE`, :data:`TRACKING`); ``knee``: MoveNet's score map;
    ``check``: :class:`NightConfig` fields of the presence check that replace the defaults."""
    track = name.endswith("-track")
    base_name = name.removesuffix("-track")
    if base_name == "mediapipe":
        return MediaPipeBackend(MediaPipeConfig(static_image_mode=not track))
    if base_name == "movenet":
        return MoveNetBackend(score_knee=knee)
    parts = base_name.split("+")
    base: PoseBackend = (
        MediaPipeBackend(MediaPipeConfig(static_image_mode=True))
        if parts[0] == "mediapipe"
        else MoveNetBackend(score_knee=knee)
    )
    cfg = NightConfig(preprocess="pre" in parts, orientation="rot" in parts, tracking=track)
    if parts[0] == "mediapipe":  # its own detector and ROI do what refinement does
        cfg = replace(cfg, refine=False, consistency=0.0)
    elif consistency is not None:
        cfg = replace(cfg, consistency=consistency)
    if check and parts[0] != "mediapipe":
        cfg = replace(cfg, **check)
    return NightPose(base, cfg)


def wilson(k: int, n: int, z: float = 1.96) -> tuple[float, float]:
    """95% Wilson interval of k successes in n."""
    if n == 0:
        return (0.0, 1.0)
    p = k / n
    d = 1 + z * z / n
    c = (p + z * z / (2 * n)) / d
    h = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / d
    return (round(max(0.0, c - h), 4), round(min(1.0, c + h), 4))


def _rate(k: int, n: int) -> dict[str, Any]:
    return {"k": k, "n": n, "rate": round(k / n, 4) if n else None, "ci95": wilson(k, n)}


def _runs(be: PoseBackend) -> int:
    return int(getattr(be, "runs", 0))


def measure_method(
    name: str, photos: dict[str, list[Photo]], empties: dict[str, list[tuple[str, np.ndarray]]],
    cfg: NightMeasureConfig, tick: Callable[[], None], knee: float = SCORE_KNEE,
    consistency: float | None = None, check: dict[str, Any] | None = None,
) -> dict[str, Any]:  # fmt: skip
    """One method over the photo splits (found) and the frames without a person."""
    be = make_method(name, knee, consistency, check)
    track = name.endswith("-track")
    res: dict[str, Any] = {"method": name, "tracking": track}
    t_total, n_total = 0.0, 0
    try:
        for split, plist in photos.items():
            per_photo: dict[str, dict[str, Any]] = {}
            per_rot = [[0, 0] for _ in range(4)]
            k_all = n_all = 0
            for ph in plist:
                k = n = 0
                for k_rot in range(4):
                    if track:
                        if isinstance(be, NightPose):
                            be.reset()
                        else:  # MediaPipe's tracker: a fresh graph per clip
                            be.close()
                            be = make_method(name, knee, consistency, check)
                        rng = np.random.default_rng(cfg.seed + 97 * k_rot)
                        frames = [
                            (cfg.seed + 1000 * i + 17 * k_rot,
                             (float(rng.uniform(-1, 1) * cfg.jitter_px),
                              float(rng.uniform(-1, 1) * cfg.jitter_px)))
                            for i in range(cfg.clip)
                        ]  # fmt: skip
                    else:
                        frames = [
                            (cfg.seed + 1000 * s + 17 * k_rot, (0.0, 0.0)) for s in range(cfg.seeds)
                        ]
                    cam = clip_camera(cfg, ph.name, k_rot, 97) if track else None
                    for seed, shift in frames:
                        fr = night_frame(ph.rgb, seed, k_rot, shift, camera_seed=cam)
                        t0 = time.process_time()
                        kp = be.process(fr)
                        t_total += time.process_time() - t0
                        n_total += 1
                        f = found(kp, ph, k_rot, shift, cfg.agree)
                        k += f
                        n += 1
                        per_rot[k_rot][0] += f
                        per_rot[k_rot][1] += 1
                        tick()
                per_photo[ph.name] = _rate(k, n)
                k_all += k
                n_all += n
            res[split] = {
                **_rate(k_all, n_all),
                "by_photo": per_photo,
                "by_rotation": {str(90 * r): _rate(a, b) for r, (a, b) in enumerate(per_rot)},
            }
        if not track:
            for split, elist in empties.items():
                k = n = 0
                kp_pets = [0, 0]
                for ename, rgb in elist:
                    for k_rot in range(4):
                        for s in range(cfg.empty_seeds):
                            fr = night_frame(rgb, cfg.seed + 1000 * s + 17 * k_rot, k_rot)
                            t0 = time.process_time()
                            kp = be.process(fr)
                            t_total += time.process_time() - t0
                            n_total += 1
                            p = person_present(kp)
                            k += p
                            n += 1
                            if ename in PETS:
                                kp_pets[0] += p
                                kp_pets[1] += 1
                            tick()
                res[f"false_presence_{split}"] = {**_rate(k, n), "pets": _rate(*kp_pets)}
    finally:
        be.close()
    res["cpu_ms_per_frame"] = round(1000.0 * t_total / max(n_total, 1), 1)
    return res


def choose(results: list[dict[str, Any]], max_false: float = 0.02) -> str:
    """The selection rule: among single-image methods whose false presence on the tuning
    frames without a person is at most ``max_false``, the highest person-found rate on the
    tuning photos; ties go to the cheaper one (CPU ms per frame)."""
    ok = [
        r for r in results
        if not r["tracking"] and (r["false_presence_tuning"]["rate"] or 0.0) <= max_false
    ]  # fmt: skip
    if not ok:
        raise CribwatchError("no method meets the false-presence limit on the tuning frames")
    best = max(ok, key=lambda r: (r["tuning"]["rate"] or 0.0, -r["cpu_ms_per_frame"]))
    return str(best["method"])


def _choose_or_none(singles: list[dict[str, Any]]) -> str | None:
    """:func:`choose` over the single-image results, or None where it cannot choose."""
    if not singles or not all("false_presence_tuning" in r for r in singles):
        return None
    try:
        return choose(singles)
    except CribwatchError:  # no method within the false-presence limit on these tuning frames
        return None


def measure_night(
    data_root: str | os.PathLike[str],
    out: str | os.PathLike[str] | None = None,
    *,
    methods: tuple[str, ...] = SINGLE + TRACKING,
    config: NightMeasureConfig | None = None,
    progress: Progress | None = None,
    check: dict[str, Any] | None = None,
    people_tuning: tuple[str, ...] | None = None,
    people_heldout: tuple[str, ...] | None = None,
    empty_tuning: tuple[str, ...] | None = None,
    empty_heldout: tuple[str, ...] | None = None,
) -> dict[str, Any]:
    """The whole measurement; writes ``out`` (JSON) when given and returns the result.
    ``check``: presence-check fields of :class:`NightConfig` for the night-wrapped methods;
    ``people_tuning``, ``people_heldout``, ``empty_tuning``, ``empty_heldout``: other image
    lists than :data:`PEOPLE_TUNING`, :data:`PEOPLE_HELDOUT`, :data:`EMPTY_TUNING`,
    :data:`EMPTY_HELDOUT` (an empty ``people_heldout`` measures the tuning photos only)."""
    cfg = config or NightMeasureConfig()
    root = Path(data_root)
    if not root.is_dir():
        raise CribwatchError(f"{root}: data folder not found")
    for m in methods:
        if m not in SINGLE + TRACKING:
            raise CribwatchError(f"unknown method {m!r} (one of {', '.join(SINGLE + TRACKING)})")
    missing: list[str] = []
    skipped: list[str] = []
    photos: dict[str, list[Photo]] = {"tuning": [], "heldout": []}
    mn = NightPose(MoveNetBackend(), REFERENCE_MOVENET)
    mp = None
    try:
        mp = MediaPipeBackend(MediaPipeConfig(static_image_mode=True))
        for split, names in (
            ("tuning", PEOPLE_TUNING if people_tuning is None else people_tuning),
            ("heldout", PEOPLE_HELDOUT if people_heldout is None else people_heldout),
        ):  # fmt: skip
            for nm in names:
                img = load_image(nm, root)
                if img is None:
                    missing.append(nm)
                    continue
                ph = prepare_photo(nm, img, mn, mp, cfg)
                if ph is None:
                    skipped.append(nm)
                else:
                    photos[split].append(ph)
    finally:
        mn.close()
        if mp is not None:
            mp.close()
    empties: dict[str, list[tuple[str, np.ndarray]]] = {"tuning": [], "heldout": []}
    for split, names in (
        ("tuning", EMPTY_TUNING if empty_tuning is None else empty_tuning),
        ("heldout", EMPTY_HELDOUT if empty_heldout is None else empty_heldout),
    ):
        for nm in names:
            img = load_image(nm, root)
            if img is None:
                missing.append(nm)
            else:
                empties[split].append((nm, _resize(img, cfg.crop_side, grow=True)))
    if not photos["tuning"]:
        raise CribwatchError("no usable tuning photo of a person")
    n_photo = sum(len(v) for v in photos.values()) * 4
    n_empty = sum(len(v) for v in empties.values()) * 4 * cfg.empty_seeds
    total = sum(
        n_photo * (cfg.clip if m in TRACKING else cfg.seeds) + (0 if m in TRACKING else n_empty)
        for m in methods
    )
    done = [0]

    def tick() -> None:
        done[0] += 1
        report(progress, done[0], total)

    results = [measure_method(m, photos, empties, cfg, tick, check=check) for m in methods]
    singles = [r for r in results if not r["tracking"]]
    res: dict[str, Any] = {
        "photos": {k: [p.name for p in v] for k, v in photos.items()},
        "reference_keypoints": {
            p.name: int(p.ref[list(UPPER13), 2].sum()) for v in photos.values() for p in v
        },
        "empty_frames": {k: [n for n, _ in v] for k, v in empties.items()},
        "missing": missing,
        "skipped": skipped,
        "config": {k: getattr(cfg, k) for k in cfg.__dataclass_fields__},
        "results": results,
        "chosen": _choose_or_none(singles),
        "rule": choose.__doc__.split("\n\n")[0].replace("\n    ", " ") if choose.__doc__ else "",
    }
    if out is not None:
        write_json(out, {"written_by": OUTPUT_MARK, **res})
    return res


def markdown(res: dict[str, Any]) -> str:
    """The result as Markdown tables (person found, false presence, cost)."""

    def pct(r: dict[str, Any] | None) -> str:
        if not r or r.get("rate") is None:
            return "-"
        lo, hi = r["ci95"]
        return f"{100 * r['rate']:.0f}% ({r['k']}/{r['n']}; {100 * lo:.0f}-{100 * hi:.0f})"

    lines = [
        "| method | tuning found | held-out found | held-out by photo "
        "| false presence tuning (pets) | false presence held-out (pets) | CPU ms/frame |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for r in res["results"]:
        byp = ", ".join(
            f"{n.split(':')[1]} {100 * v['rate']:.0f}%" for n, v in r["heldout"]["by_photo"].items()
        )
        fpt = r.get("false_presence_tuning")
        fph = r.get("false_presence_heldout")
        lines.append(
            f"| {r['method']} | {pct(r['tuning'])} | {pct(r['heldout'])} | {byp} | "
            f"{pct(fpt)}{' (' + pct(fpt['pets']) + ')' if fpt else ''} | "
            f"{pct(fph)}{' (' + pct(fph['pets']) + ')' if fph else ''} | {r['cpu_ms_per_frame']} |"
        )
    lines.append("")
    lines.append("By rotation (held-out, found):")
    lines.append("")
    lines.append("| method | 0 | 90 | 180 | 270 |")
    lines.append("| --- | --- | --- | --- | --- |")
    for r in res["results"]:
        br = r["heldout"]["by_rotation"]
        lines.append(
            f"| {r['method']} | "
            + " | ".join(f"{100 * (br[a]['rate'] or 0):.0f}%" for a in ("0", "90", "180", "270"))
            + " |"
        )
    return "\n".join(lines) + "\n"


def turning_clip(
    rgb: np.ndarray, frames: int, night: bool, side: int = 400, size: tuple[int, int] = (640, 480)
) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """A person turning in place from 0 to 180 degrees: grey (or night-simulated) frames and,
    per frame, the 2x3 affine that maps the photo (resized to ``side``) into the frame."""
    img = _resize(rgb, side, grow=True)
    sq = np.zeros((side, side, 3), np.uint8)
    h, w = img.shape[:2]
    sq[(side - h) // 2 : (side - h) // 2 + h, (side - w) // 2 : (side - w) // 2 + w] = img
    ox, oy = (size[0] - side) // 2, (size[1] - side) // 2
    out: list[np.ndarray] = []
    mats: list[np.ndarray] = []
    for i in range(frames):
        ang = 180.0 * i / max(frames - 1, 1)
        m = cv2.getRotationMatrix2D((side / 2.0, side / 2.0), ang, 1.0)
        fr = np.zeros((size[1], size[0], 3), np.uint8)
        fr[oy : oy + side, ox : ox + side] = cv2.warpAffine(sq, m, (side, side))
        if night:
            g, _ = simulate_night(fr.astype(np.float32) / 255.0, 1000 + i)
        else:
            g = cv2.cvtColor(fr, cv2.COLOR_RGB2GRAY).astype(np.float32) / 255.0
        out.append(_u8(g))
        mats.append(np.hstack([m[:, :2], (m[:, 2] + [ox, oy])[:, None]]))
    return out, mats


def measure_turning(
    photo: str = "skimage:astronaut",
    methods: tuple[str, ...] = TRACKING,
    frames: int = 90,
    data_root: str | os.PathLike[str] = "data",
) -> dict[str, Any]:
    """Found frames (the issue's rule) on a clip of ``photo`` turning from 0 to 180 degrees,
    grey and night-simulated, per tracking method (a tuning photo: this served the choice)."""
    img = load_image(photo, Path(data_root))
    if img is None:
        raise CribwatchError(f"{photo}: not found")
    cfg = NightMeasureConfig()
    mn = NightPose(MoveNetBackend(), REFERENCE_MOVENET)
    mp = MediaPipeBackend(MediaPipeConfig(static_image_mode=True))
    try:
        sq = _resize(img, 400, grow=True)
        ref = consensus(mn.process(sq), mp.process(sq), cfg.agree)
    finally:
        mn.close()
        mp.close()
    scale = ref_scale(ref)
    res: dict[str, Any] = {"photo": photo, "frames": frames, "rows": []}
    for night in (False, True):
        clip, mats = turning_clip(img, frames, night)
        for name in methods:
            be = make_method(name)
            k = 0
            try:
                for fr, m in zip(clip, mats, strict=True):
                    kp = be.process(fr)
                    xy = ref[:, :2] @ m[:, :2].T + m[:, 2]
                    ok = sum(
                        1 for j in UPPER13
                        if ref[j, 2] > 0 and kp[j, 2] >= 0.5
                        and np.linalg.norm(kp[j, :2] - xy[j]) <= cfg.agree * scale
                    )  # fmt: skip
                    k += ok >= 6
            finally:
                be.close()
            res["rows"].append({"method": name, "night": night, **_rate(k, frames)})
    return res


def measure_empty_clips(
    data_root: str | os.PathLike[str] = "data",
    names: tuple[str, ...] = EMPTY_HELDOUT,
    method: str = "movenet+pre+rot-track",
    clip: int = 15,
    reset_frames: int = 8,
    config: NightMeasureConfig | None = None,
    check: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """False presence in tracking mode on clips without a person (a new night draw, or with
    ``config.video`` new sensor noise, and a few pixels of jitter per frame, at 4 rotations):
    frames with a person reported, and clips where a person is reported for ``reset_frames``
    frames in a row (0.5 s at 15 fps: what ends a stretch of nobody in the detector)."""
    cfg = config or NightMeasureConfig()
    root = Path(data_root)
    be = make_method(method, check=check)
    k = n = runs = 0
    per: dict[str, int] = {}
    try:
        for nm_ in names:
            img = load_image(nm_, root)
            if img is None:
                continue
            img = _resize(img, cfg.crop_side, grow=True)
            for k_rot in range(4):
                if isinstance(be, NightPose):
                    be.reset()
                rng = np.random.default_rng(cfg.seed + 31 * k_rot)
                run = longest = 0
                cam = clip_camera(cfg, nm_, k_rot, 31)
                for i in range(clip):
                    shift = (float(rng.uniform(-1, 1) * cfg.jitter_px),
                             float(rng.uniform(-1, 1) * cfg.jitter_px))  # fmt: skip
                    kp = be.process(
                        night_frame(
                            img, cfg.seed + 1000 * i + 17 * k_rot, k_rot, shift, camera_seed=cam
                        )
                    )
                    p = person_present(kp)
                    k += p
                    n += 1
                    run = run + 1 if p else 0
                    longest = max(longest, run)
                runs += longest >= reset_frames
                per[nm_] = per.get(nm_, 0) + int(longest >= reset_frames)
    finally:
        be.close()
    return {
        "method": method,
        "frames": _rate(k, n),
        "clips_with_a_person_for_reset": _rate(runs, 4 * len(per)),
        "by_image": per,
    }


# ------------------------------------------------------------------------------ presence check

PRESENCE_GRID: dict[str, tuple[float, ...]] = {
    "consistency": (0.05, 0.04, 0.035, 0.03, 0.025),
    "verify_flip_min": (0, 5, 6, 7, 8),
    "verify_flip_drift": (1.0, 0.08, 0.06, 0.05),
    "verify_zoom_min": (0, 6, 8),
    "verify_zoom_drift": (1.0, 0.08, 0.06, 0.05),
}
"""Candidate presence checks (:class:`NightConfig` fields); the first of each is the shipped
setting before the verification runs (off: 0 keypoints, drift 1)."""


def _check_passes(f: dict[str, Any], chk: dict[str, float]) -> bool:
    if not f["present"] or f["drift"] > chk["consistency"]:
        return False
    if (chk["verify_flip_min"] > 0 or chk["verify_flip_drift"] < 1) and (
        f["flip_n"] < chk["verify_flip_min"] or f["flip"] > chk["verify_flip_drift"]
    ):
        return False
    return not (
        (chk["verify_zoom_min"] > 0 or chk["verify_zoom_drift"] < 1)
        and (f["zoom_n"] < chk["verify_zoom_min"] or f["zoom"] > chk["verify_zoom_drift"])
    )


def choose_presence_check(
    feats: dict[str, list[dict[str, Any]]], max_false: float = 0.02, min_side: float = 0.8
) -> dict[str, Any]:
    """The presence-check rule (tuning frames only). First the method rule: among candidates
    (:data:`PRESENCE_GRID`) whose false presence on the tuning frames without a person is at
    most ``max_false``, the highest person-found rate on the tuning photos. Where none gets
    there: among candidates that keep every tuning photo frame the shipped check finds and at
    least ``min_side`` of the side-view frames present (infants lie on their side), the lowest
    false presence. Ties: more side-view frames present, then fewer model runs, then the
    looser setting (grid order)."""
    keys = list(PRESENCE_GRID)
    rows = []
    for combo in itertools.product(*(PRESENCE_GRID[k] for k in keys)):
        chk = dict(zip(keys, combo, strict=True))
        found_k = sum(f["found"] and _check_passes(f, chk) for f in feats["people"])
        side_k = sum(_check_passes(f, chk) for f in feats["side"])
        false_k = sum(_check_passes(f, chk) for f in feats["empty"])
        runs = int(chk["verify_flip_min"] > 0 or chk["verify_flip_drift"] < 1) + int(
            chk["verify_zoom_min"] > 0 or chk["verify_zoom_drift"] < 1
        )
        rows.append(
            {"check": chk, "found": found_k, "side": side_k, "false": false_k, "runs": runs}
        )
    n_p, n_s, n_e = len(feats["people"]), len(feats["side"]), len(feats["empty"])
    shipped = rows[0]
    ok = [r for r in rows if r["false"] <= max_false * n_e]
    if ok:
        best = max(ok, key=lambda r: (r["found"], r["side"], -r["runs"]))
        how = "method rule"
    else:
        ok = [r for r in rows if r["found"] >= shipped["found"] and r["side"] >= min_side * n_s]
        best = min(ok, key=lambda r: (r["false"], -r["side"], r["runs"]))
        how = "fallback (no candidate at the false-presence limit)"
    return {
        "chosen": best,
        "shipped": shipped,
        "how": how,
        "n": {"people": n_p, "side": n_s, "empty": n_e},
        "candidates": len(rows),
        "rule": choose_presence_check.__doc__ or "",
    }


@dataclass(frozen=True)
class _TuningFrames:
    """The presence measurements' tuning images: prepared photos of people, side-view stamps
    and frames without a person (resized to the crop side)."""

    photos: list[Photo]
    side: list[tuple[str, np.ndarray]]
    empty: list[tuple[str, np.ndarray]]

    def count(self, cfg: NightMeasureConfig) -> int:
        """How many night frames :meth:`sweep` yields."""
        return len(self.photos) * 4 * cfg.seeds + len(self.side) * 12 + len(self.empty) * 4

    def sweep(
        self, cfg: NightMeasureConfig
    ) -> Iterator[tuple[str, str, int, np.ndarray, Photo | None]]:
        """``(kind, image, k_rot, night frame, photo or None)``: each photo at 4 rotations and
        ``cfg.seeds`` draws, each side-view stamp at 4 rotations and 3 draws, each empty frame
        at 4 rotations (kinds ``people``, ``side``, ``empty``)."""
        for ph in self.photos:
            for k_rot in range(4):
                for s in range(cfg.seeds):
                    fr = night_frame(ph.rgb, cfg.seed + 1000 * s + 17 * k_rot, k_rot)
                    yield "people", ph.name, k_rot, fr, ph
        for nm, im in self.side:
            for k_rot in range(4):
                for s in range(3):
                    fr = night_frame(im, cfg.seed + 1000 * s + 17 * k_rot, k_rot)
                    yield "side", nm, k_rot, fr, None
        for nm, im in self.empty:
            for k_rot in range(4):
                yield "empty", nm, k_rot, night_frame(im, cfg.seed + 17 * k_rot, k_rot), None


def _tuning_frames(
    root: Path, cfg: NightMeasureConfig, empty_names: list[str] | tuple[str, ...]
) -> _TuningFrames:
    """The tuning photos of people, prepared (clean upright reference keypoints from MoveNet
    and MediaPipe, with the issue's found rule), the side-view stamps, and ``empty_names``
    with the tuxpaint animals; images that are missing are skipped."""
    mn = NightPose(MoveNetBackend(), REFERENCE_MOVENET)
    mp = MediaPipeBackend(MediaPipeConfig(static_image_mode=True))
    try:
        photos = [
            ph for nm in PEOPLE_TUNING
            if (img := load_image(nm, root)) is not None
            and (ph := prepare_photo(nm, img, mn, mp, cfg)) is not None
        ]  # fmt: skip
    finally:
        mn.close()
        mp.close()
    side = [(n, im) for n in SIDE_TUNING if (im := load_image(n, root)) is not None]
    empty = [
        (n, _resize(im, cfg.crop_side, grow=True))
        for n in [*empty_names, *tux_animals(root)]
        if (im := load_image(n, root)) is not None
    ]
    return _TuningFrames(photos, side, empty)


def presence_features(
    data_root: str | os.PathLike[str] = "data", config: NightMeasureConfig | None = None,
    progress: Progress | None = None,
) -> dict[str, list[dict[str, Any]]]:  # fmt: skip
    """Per night frame of the TUNING sets: what every candidate presence check needs (the
    settled keypoints' drift and reliable count, the mirrored and zoomed-out verification runs).
    People: the tuning photos (6 draws x 4 rotations, with the issue's found rule) and the
    side-view stamps (3 draws x 4 rotations); without a person: the scikit-image tuning frames
    and the tuxpaint animal stamps (4 rotations)."""
    cfg = config or NightMeasureConfig()
    root = Path(data_root)
    frames = _tuning_frames(root, cfg, EMPTY_TUNING)
    base = MoveNetBackend()
    be = NightPose(base, NightConfig(verify_flip_drift=1.0, verify_zoom_min=0))
    probe = NightPose(base, NightConfig(verify_flip_min=1, verify_zoom_min=1))
    total = frames.count(cfg)
    done = 0
    out: dict[str, list[dict[str, Any]]] = {"people": [], "side": [], "empty": []}

    def one(fr: np.ndarray) -> dict[str, Any]:
        nonlocal done
        kp = be.process(fr)
        raw = be.last_raw
        f: dict[str, Any] = {"present": bool(kp[:, 2].max() > 0), "drift": be.last_drift}
        if person_present(raw):
            pre = preprocess_ir(fr, be.config)
            f.update(probe.verify_runs(pre, raw.astype(np.float64), be.last_up))
        else:
            f.update({"flip_n": 0, "flip": 1.0, "zoom_n": 0, "zoom": 1.0})
        done += 1
        report(progress, done, total)
        return f

    try:
        for kind, name, k_rot, fr, ph in frames.sweep(cfg):
            f = one(fr)
            if ph is not None:
                kp = be.last_raw.copy()
                if not f["present"]:
                    kp[:, 2] = 0
                f["found"] = found(kp, ph, k_rot, (0, 0), cfg.agree)
            out[kind].append({"image": name, "rot": 90 * k_rot, **f})
    finally:
        base.close()
    return out


# ------------------------------------------------------------------------------ real video

VTEST = Path("debian/opencv-doc/usr/share/doc/opencv-doc/examples/data/vtest.avi")
"""opencv-doc's ``vtest.avi`` under the data root (795 frames, 768x576, 10 fps, pedestrians;
Apache-2.0 AND BSD-3-Clause; evaluation only)."""


def video_frames(path: str | os.PathLike[str], limit: int = 0) -> list[np.ndarray]:
    """The frames of a video file as RGB uint8 (``limit`` > 0: at most that many)."""
    p = Path(path)
    if not p.is_file():
        raise CribwatchError(f"{p}: video not found")
    cap = cv2.VideoCapture(str(p))
    out: list[np.ndarray] = []
    try:
        while not limit or len(out) < limit:
            ok, bgr = cap.read()
            if not ok:
                break
            out.append(np.ascontiguousarray(bgr[:, :, ::-1]))
    finally:
        cap.release()
    if not out:
        raise CribwatchError(f"{p}: no frames could be read")
    return out


def measure_video(
    data_root: str | os.PathLike[str] = "data",
    methods: tuple[str, ...] = ("mediapipe-track", "movenet+pre+rot-track"),
    limit: int = 0,
    check: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Frames of opencv-doc's ``vtest.avi`` (every frame shows people) where each tracking
    method reports a person (:func:`person_present`), in colour and as grey frames.
    ``check``: presence-check fields of :class:`NightConfig` (as in :func:`measure_night`)."""
    frames = video_frames(Path(data_root) / VTEST, limit)
    res: dict[str, Any] = {"video": str(VTEST), "frames": len(frames), "rows": []}
    for grey in (False, True):
        clip = (
            [np.repeat(cv2.cvtColor(f, cv2.COLOR_RGB2GRAY)[:, :, None], 3, axis=2) for f in frames]
            if grey
            else frames
        )
        for name in methods:
            be = make_method(name, check=check)
            k = 0
            t0 = time.process_time()
            try:
                for f in clip:
                    k += person_present(be.process(f))
            finally:
                be.close()
            cpu = 1000.0 * (time.process_time() - t0) / len(clip)
            res["rows"].append(
                {"method": name, "grey": grey, **_rate(k, len(clip)), "cpu_ms": round(cpu, 1)}
            )
    return res


def _iou(a: np.ndarray, b: np.ndarray) -> float:
    x0, y0 = max(a[0], b[0]), max(a[1], b[1])
    x1, y1 = min(a[0] + a[2], b[0] + b[2]), min(a[1] + a[3], b[1] + b[3])
    inter = max(0.0, x1 - x0) * max(0.0, y1 - y0)
    return float(inter / (a[2] * a[3] + b[2] * b[3] - inter + 1e-9))


def pedestrian_tracks(
    frames: list[np.ndarray], step: int = 1, min_iou: float = 0.3, min_len: int = 8,
    min_height: int = 60, warmup: int = 30,
) -> list[list[tuple[int, np.ndarray]]]:  # fmt: skip
    """Moving people of a fixed camera: foreground (OpenCV's MOG2 background model) blobs at
    least ``min_height`` pixels high and taller than wide, linked frame to frame by box
    overlap: tracks of ``(frame index, box x y w h)``."""
    sub = cv2.createBackgroundSubtractorMOG2(history=200, varThreshold=25, detectShadows=True)
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (5, 5))
    live: list[list[tuple[int, np.ndarray]]] = []
    done: list[list[tuple[int, np.ndarray]]] = []
    for i in range(0, len(frames), step):
        fg = sub.apply(cv2.cvtColor(frames[i], cv2.COLOR_RGB2BGR))
        fg = cv2.morphologyEx((fg == 255).astype(np.uint8), cv2.MORPH_OPEN, kernel)
        fg = cv2.morphologyEx(fg, cv2.MORPH_CLOSE, kernel, iterations=3)
        n, _, stats, _ = cv2.connectedComponentsWithStats(fg)
        dets = [
            np.asarray(stats[j, :4], np.float64)
            for j in range(1, n)
            if stats[j, 3] >= min_height and 1.3 * stats[j, 2] <= stats[j, 3] <= 5 * stats[j, 2]
        ]
        if i < warmup:
            continue
        used: set[int] = set()
        nxt: list[list[tuple[int, np.ndarray]]] = []
        for tr in live:
            best, bj = 0.0, -1
            for j, d in enumerate(dets):
                o = _iou(tr[-1][1], d)
                if j not in used and o > best:
                    best, bj = o, j
            if bj >= 0 and best >= min_iou:
                used.add(bj)
                tr.append((i, dets[bj]))
                nxt.append(tr)
            elif i - tr[-1][0] <= 3 * step:
                nxt.append(tr)
            else:
                done.append(tr)
        nxt += [[(i, d)] for j, d in enumerate(dets) if j not in used]
        live = nxt
    return [t for t in done + live if len(t) >= min_len]


HAND_VIEWS: dict[tuple[int, int], str] = {
    (54, 141): "back", (628, 679): "back", (628, 686): "back", (687, 711): "back",
    (553, 730): "back", (375, 403): "front", (417, 456): "front", (534, 549): "front",
    (39, 47): "unclear", (146, 159): "unclear", (521, 580): "unclear",
}  # fmt: skip
"""Views labelled by eye (first and last frame of a :func:`pedestrian_tracks` track, default
settings) from five crops per track: the automatic direction rule mislabels some tracks
(blobs of two people merge); "unclear" tracks are left out."""


def measure_back_views(
    data_root: str | os.PathLike[str] = "data",
    limit: int = 0,
    min_move: float = 0.3,
    score_thr: float = 0.5,
) -> dict[str, Any]:
    """Left/right as a pose model assigns it on people seen from behind (opencv-doc
    ``vtest.avi``). Pedestrians (:func:`pedestrian_tracks`) walking away from the elevated
    camera (their feet move up the image by at least ``min_move`` of their height, more than
    sideways) show their backs; those walking towards it, their fronts. MoveNet runs on each
    upright box (grown by 25%); where both shoulders (hips) are reliable, the assignment is
    **as for a back view** when the person's left shoulder (hip) is on the image's left.
    Tracks in :data:`HAND_VIEWS` take the view labelled by eye. Returns the counts per view,
    by frame and by track (majority)."""
    frames = video_frames(Path(data_root) / VTEST, limit)
    tracks = pedestrian_tracks(frames)
    mn = MoveNetBackend()
    rows: dict[str, dict[str, list[int]]] = {
        v: {
            "shoulders": [0, 0],
            "hips": [0, 0],
            "eyes": [0, 0],
            "eyes_as_shoulders": [0, 0],
            "tracks": [0, 0],
            "face": [0, 0],
        }
        for v in ("back", "front")
    }
    per_track: list[dict[str, Any]] = []
    try:
        for tr in tracks:
            b0, b1 = tr[0][1], tr[-1][1]
            h = float(np.median([b[3] for _, b in tr]))
            dy = (b1[1] + b1[3]) - (b0[1] + b0[3])
            dx = (b1[0] + b1[2] / 2) - (b0[0] + b0[2] / 2)
            if abs(dy) < min_move * h or abs(dy) < abs(dx):
                continue
            view = "back" if dy < 0 else "front"
            hand = HAND_VIEWS.get((tr[0][0], tr[-1][0]))
            if hand is not None:
                view = hand
            if view not in rows:
                continue
            back_votes = votes = faces = 0
            for i, b in tr:
                cx, cy = b[0] + b[2] / 2, b[1] + b[3] / 2
                m = crop_matrix(cx, cy, 1.25 * max(b[2], b[3]), np.array([0.0, -1.0]), INPUT)
                kp = mn.infer(frames[i], m)
                rel = kp[:, 2] >= score_thr
                face = int(rel[[0, 1, 2]].sum() >= 2)
                faces += face
                rows[view]["face"][0] += face
                rows[view]["face"][1] += 1
                for part, (a, c) in (("shoulders", (5, 6)), ("hips", (11, 12)), ("eyes", (1, 2))):
                    if rel[a] and rel[c]:
                        back = bool(kp[a, 0] < kp[c, 0])
                        rows[view][part][0] += back
                        rows[view][part][1] += 1
                        if part == "shoulders":
                            back_votes += back
                            votes += 1
                if rel[1] and rel[2] and rel[5] and rel[6]:  # eyes in the shoulders' order
                    same = (kp[1, 0] < kp[2, 0]) == (kp[5, 0] < kp[6, 0])
                    rows[view]["eyes_as_shoulders"][0] += int(same)
                    rows[view]["eyes_as_shoulders"][1] += 1
            if votes:
                rows[view]["tracks"][0] += int(back_votes * 2 > votes)
                rows[view]["tracks"][1] += 1
            per_track.append(
                {"view": view, "by_hand": hand is not None, "frames": [tr[0][0], tr[-1][0]],
                 "height_px": round(h), "shoulder_votes_back": back_votes,
                 "shoulder_votes": votes, "face_frames": faces, "frames_run": len(tr)}
            )  # fmt: skip
    finally:
        mn.close()
    return {
        "video": str(VTEST),
        "tracks_found": len(tracks),
        "back": {k: _rate(*v) for k, v in rows["back"].items()},
        "front": {k: _rate(*v) for k, v in rows["front"].items()},
        "per_track": per_track,
        "note": "rate = fraction assigned as for a back view (face: nose+eye reliable)",
    }


# ------------------------------------------------------------------------------ appearance vote

EMPTY_FRESH: tuple[str, ...] = (
    "ocv:baboon.jpg", "ocv:squirrel_cls.jpg", "ocv:chicky_512.png", "ocv:butterfly.jpg",
    "ocv:fruits.jpg", "ocv:home.jpg", "ocv:building.jpg", "ocv:starry_night.jpg",
    "ocv:Blender_Suzanne1.jpg", "ocv:rubberwhale1.png", "ocv:stuff.jpg", "ocv:board.jpg",
    "ocv:aloeL.jpg", "ocv:leuvenA.jpg", "ocv:orange.jpg", "ocv:smarties.png", "ocv:apple.jpg",
    "plasma:BytheWater", "plasma:ColdRipple", "plasma:ColorfulCups", "plasma:EveningGlow",
    "plasma:FallenLeaf", "plasma:Grey", "plasma:Kite", "plasma:OneStandsOut", "plasma:Path",
    "plasma:MilkyWay",
)  # fmt: skip
"""Frames without a person never tuned on (third round's held-out set, chosen by eye as
showing no person before any method ran on them): opencv-doc sample images (test-only) and
Debian ``plasma-workspace-wallpapers`` photos. Animals: baboon (a mandrill), squirrel,
chicky_512 (a dog)."""
PEOPLE_FRESH: tuple[str, ...] = ("ocv:messi5.jpg", "ocv:basketball1.png")
PEOPLE_MMPOSE: tuple[str, ...] = tuple(
    f"mmpose:{n}.png"
    for n in (
        "coco_000000000785_0", "coco_000000040083_1", "coco_000000040083_2",
        "coco_000000196141_3", "coco_000000196141_4", "coco_000000197388_5",
        "coco_000000197388_6", "coco_000000197388_7", "coco_000000197388_8",
        "coco_000000197388_9", "mpii_004645041", "mpii_005808361", "mpii_051423444",
        "mpii_052475643", "mpii_060754485",
    )
)  # fmt: skip
"""Issue 25, seventh round: a third fresh held-out set of real people, never used here before:
the COCO val people (>= 12 annotated keypoints, box >= 140 px high) and the five MPII photos of
open-mmlab/mmpose ``tests/data`` (Apache-2.0 repository; COCO photos under their Flickr
licences, MPII under its own), each cut to one annotated person's box grown by 30% per side
(``experiments/logs/s4/r25f/extract_people.py``); test-only, never committed."""
"""Photos of people never tuned on (third round's held-out photos; opencv-doc, test-only)."""
EMPTY_TUNING3: tuple[str, ...] = EMPTY_TUNING + EMPTY_HELDOUT
"""Third round's tuning frames without a person: the first rounds' tuning frames and their
held-out frames (run twice and looked at: no longer held out), with the tuxpaint animals."""

PEOPLE_TUNING9: tuple[str, ...] = PEOPLE_TUNING + PEOPLE_HELDOUT + PEOPLE_FRESH + PEOPLE_MMPOSE
"""Issue 25, ninth round: every photo of a person used so far is a tuning photo."""
EMPTY_TUNING9: tuple[str, ...] = EMPTY_TUNING3 + EMPTY_FRESH
"""Ninth round's tuning frames without a person: every such frame used so far."""
PEOPLE_R9: tuple[str, ...] = tuple(
    f"mmpose:r9_{n}.png"
    for n in (
        "crowdpose_2", "crowdpose_3", "crowdpose_4", "ochuman_0", "ochuman_1", "ochuman_2",
        "ochuman_3", "ochuman_4", "aic_4", "aic_6", "aic_7", "aic_8", "mhp_0", "mhp_1",
        "exlpose_0", "exlpose_1", "exlpose_2", "exlpose_3", "exlpose_5", "jhmdb_0",
        "posetrack18_1", "posetrack18_3", "posetrack18_4", "posetrack18_5", "posetrack18_6",
        "posetrack18_7", "posetrack18_8", "posetrack18_10", "posetrack18_11", "posetrack18_12",
        "h36m_0", "h36m_1", "h36m_2", "h36m_3",
    )
)  # fmt: skip
"""Ninth round's fresh held-out people (never used before): every annotation with >= 12
labelled keypoints and a box >= 140 px high in open-mmlab/mmpose ``tests/data``'s crowdpose,
ochuman, aic, mhp, exlpose (real low-light photos), jhmdb, posetrack18 and h36m folders, cut to
the box grown by 30% per side (``experiments/logs/s6/r25h/extract.py``; test-only)."""
EMPTY_R9: tuple[str, ...] = tuple(
    f"mmpose-animal:{n}.png"
    for n in (
        "ap10k_000000000004", "ap10k_000000037516", "animalpose_ca110", "animalpose_ho105",
        "horse10_0292", "horse10_0465", "macaque_PRI_1473", "macaque_d47f1b1ee9d3217e",
        "atrw_000061", "atrw_003464", "zebra_810", "zebra_850", "locust_630", "locust_650",
        "fly_1400", "fly_1450",
    )
)  # fmt: skip
"""Ninth round's fresh held-out frames without a person: the animal and insect photos of
mmpose ``tests/data`` (cat, horses, antelope, big cats, macaques, zebras, locusts, flies; one
horse photo with a person leading it, ``horse10_0244``, left out by eye before any run)."""

OCV_DATA = Path("debian/opencv-doc/usr/share/doc/opencv-doc/examples/data")
PLASMA = Path("debian/plasma-workspace-wallpapers/usr/share/wallpapers")


def person_vote_features(
    data_root: str | os.PathLike[str] = "data", config: NightMeasureConfig | None = None,
    progress: Progress | None = None,
) -> dict[str, list[dict[str, Any]]]:  # fmt: skip
    """Per night frame of the third round's TUNING sets that the shipped check (with its
    verification runs) reports a person on: the appearance vote's score
    (:meth:`NightPose.person_score`). People: the tuning photos (6 draws x 4 rotations, with
    the issue's found rule) and the side-view stamps (3 draws x 4 rotations); without a
    person: :data:`EMPTY_TUNING3` and the tuxpaint animals (4 rotations)."""
    cfg = config or NightMeasureConfig()
    root = Path(data_root)
    frames = _tuning_frames(root, cfg, EMPTY_TUNING3)
    be = NightPose(MoveNetBackend(), NightConfig(verify_person=0.0))
    total = frames.count(cfg)
    done = 0
    out: dict[str, list[dict[str, Any]]] = {"people": [], "side": [], "empty": []}

    def one(fr: np.ndarray) -> tuple[dict[str, Any], np.ndarray]:
        nonlocal done
        kp = be.process(fr)
        f: dict[str, Any] = {"present": bool(kp[:, 2].max() > 0)}
        if f["present"]:
            pre = preprocess_ir(fr, be.config)
            f["person"] = be.person_score(pre, be.last_raw.astype(np.float64), be.last_up)
        done += 1
        report(progress, done, total)
        return f, kp

    try:
        for kind, name, k_rot, fr, ph in frames.sweep(cfg):
            f, kp = one(fr)
            if ph is not None:
                f["found"] = found(kp, ph, k_rot, (0, 0), cfg.agree)
            out[kind].append({"image": name, "rot": 90 * k_rot, **f})
    finally:
        be.close()
    return out


PERSON_GRID: tuple[float, ...] = tuple(round(0.2 + 0.02 * i, 2) for i in range(21))
"""Candidate thresholds of the appearance vote (``NightConfig.verify_person``); 0 = off."""


def choose_person_vote(
    feats: dict[str, list[dict[str, Any]]], max_false: float = 0.02, keep_found: float = 0.95,
) -> dict[str, Any]:  # fmt: skip
    """The appearance-vote rule (third round, tuning frames only): among thresholds
    (:data:`PERSON_GRID`, and 0 = no vote) that keep at least ``keep_found`` of the tuning
    photo frames the shipped check finds and every side-view frame it keeps present, the one
    with the fewest false presences on the tuning frames without a person; ties: the lower
    threshold. It is switched on only if its tuning false presence is at most ``max_false``
    or below the shipped check's."""

    def passes(f: dict[str, Any], thr: float) -> bool:
        return bool(f["present"]) and (thr <= 0 or f.get("person", 0.0) >= thr)

    rows = []
    for thr in (0.0, *PERSON_GRID):
        rows.append({
            "threshold": thr,
            "found": sum(bool(f["found"]) and passes(f, thr) for f in feats["people"]),
            "side": sum(passes(f, thr) for f in feats["side"]),
            "false": sum(passes(f, thr) for f in feats["empty"]),
        })  # fmt: skip
    shipped = rows[0]
    ok = [
        r for r in rows
        if r["found"] >= keep_found * shipped["found"] and r["side"] >= shipped["side"]
    ]  # fmt: skip
    best = min(ok, key=lambda r: (r["false"], r["threshold"]))
    n_e = len(feats["empty"])
    on = best["false"] <= max_false * n_e or best["false"] < shipped["false"]
    return {
        "chosen": best if on else shipped,
        "shipped": shipped,
        "rows": rows,
        "n": {k: len(v) for k, v in feats.items()},
        "rule": choose_person_vote.__doc__ or "",
    }
