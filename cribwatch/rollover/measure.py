"""How the real pose estimator errs on crib-camera-like frames: per-keypoint misses and errors.

For each photo of a person: the estimator's keypoints on the clean upright photo are the
reference. Each photo is then turned into a night frame with the IR night simulator
(:func:`cribwatch.sim.night.simulate_night`: grey, IR channel mix, low contrast, vignetting,
noise, blur, JPEG), rotated by 0/90/180/270 degrees (lying orientations) and optionally
mirrored; the estimator runs again (single-image mode) and its keypoints are mapped back into
the upright photo's coordinates (a mirror also swaps the anatomical sides).

Counting rules, per keypoint reliable (score >= ``score_thr``) in the reference:

* **miss**: the person is not found, or the keypoint's score is below ``score_thr``;
* **error**: distance to the reference divided by the reference torso length (shoulder
  midpoint to hip midpoint; ``shoulder width / 0.8`` when the hips are not visible), over
  keypoints that are not missed;
* **left/right swap**: shoulders and hips fit the reference better with left and right
  exchanged (sum of distances lower by ``swap_margin`` torso lengths).
"""

from __future__ import annotations

import itertools
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from cribwatch.errors import CribwatchError
from cribwatch.io import OUTPUT_MARK, read_rgb, write_json
from cribwatch.progress import Progress, report
from cribwatch.rollover.pose import (
    COCO17,
    COCO_FLIP,
    MediaPipeBackend,
    MediaPipeConfig,
    PoseBackend,
)
from cribwatch.sim.night import simulate_night


@dataclass(frozen=True)
class MeasureConfig:
    """Settings of the estimator measurement."""

    seeds: int = 4
    """Night-simulator draws per photo, rotation and mirroring."""
    seed: int = 11
    """Base seed of the night simulator."""
    score_thr: float = 0.5
    """A keypoint with score at least this is found."""
    min_ref_keypoints: int = 8
    """A photo is used only if the clean upright result has this many reliable keypoints."""
    max_side: int = 640
    """Photos are downscaled so their longer side is at most this."""
    swap_margin: float = 0.1
    """How much better (torso lengths, summed) the swapped fit must be to count as a swap."""
    crop_margin: float = 0.3
    """The photo is cropped to the person's keypoint box grown by this fraction per side (the
    infant fills much of a crib camera's frame)."""
    crop_side: int = 480
    """The crop is rescaled so its longer side is this many pixels."""
    stretch: bool = False
    """Stretch the night frame's contrast (1st-99th percentile to 0-1) before the estimator,
    as a camera's auto gain would."""


def _resize(rgb: np.ndarray, max_side: int) -> np.ndarray:
    h, w = rgb.shape[:2]
    s = max_side / max(h, w)
    if s >= 1:
        return rgb
    img = Image.fromarray((np.clip(rgb, 0, 1) * 255).astype(np.uint8))
    img = img.resize((max(1, round(w * s)), max(1, round(h * s))), Image.Resampling.BILINEAR)
    return np.asarray(img, dtype=np.float32) / 255.0


def _unrotate(xy: np.ndarray, k: int, mirror: bool, w: int, h: int) -> np.ndarray:
    """Map points of ``rot90(mirror(img), k)`` back into the original (w x h) image."""
    x, y = xy[:, 0].copy(), xy[:, 1].copy()
    # np.rot90 by k (counter-clockwise); undo one quarter turn at a time
    cw, ch = (w, h) if k % 2 == 0 else (h, w)
    for _ in range(k % 4):
        # image of size (cw, ch) was rotated CCW from an image of size (ch, cw):
        # rotated (x, y) <- original (x0, y0) with x = y0, y = cw_orig - 1 - x0
        x0 = (ch - 1) - y
        y0 = x
        x, y = x0, y0
        cw, ch = ch, cw
    if mirror:
        x = (w - 1) - x
    return np.stack([x, y], 1)


def _crop_person(rgb: np.ndarray, kp: np.ndarray, cfg: MeasureConfig) -> np.ndarray:
    """Crop around the reliable keypoints (grown by ``crop_margin``) and rescale."""
    rel = kp[:, 2] >= cfg.score_thr
    xy = kp[rel, :2]
    h, w = rgb.shape[:2]
    x0, y0 = xy.min(axis=0)
    x1, y1 = xy.max(axis=0)
    side = max(x1 - x0, y1 - y0)
    m = cfg.crop_margin * side + 0.15 * side
    xa, xb = int(max(0, x0 - m)), int(min(w, x1 + m))
    ya, yb = int(max(0, y0 - m)), int(min(h, y1 + m))
    crop = rgb[ya:yb, xa:xb]
    ch, cw = crop.shape[:2]
    s = cfg.crop_side / max(ch, cw)
    img = Image.fromarray((np.clip(crop, 0, 1) * 255).round().astype(np.uint8))
    img = img.resize((max(1, round(cw * s)), max(1, round(ch * s))), Image.Resampling.BILINEAR)
    return np.asarray(img, dtype=np.float32) / 255.0


def stretch(grey: np.ndarray) -> np.ndarray:
    """Contrast stretch: 1st..99th percentile to 0..1 (auto gain)."""
    lo, hi = np.percentile(grey, [1.0, 99.0])
    return np.clip((grey - lo) / max(float(hi - lo), 1e-3), 0.0, 1.0)


def torso_length(kp: np.ndarray, thr: float) -> float:
    """Reference scale: torso length, or shoulder width / 0.8 without hips; 0 if neither."""
    rel = kp[:, 2] >= thr
    if rel[5] and rel[6] and rel[11] and rel[12]:
        return float(np.linalg.norm((kp[5, :2] + kp[6, :2]) / 2 - (kp[11, :2] + kp[12, :2]) / 2))
    if rel[5] and rel[6]:
        return float(np.linalg.norm(kp[5, :2] - kp[6, :2]) / 0.8)
    return 0.0


def find_photos(data_root: str | os.PathLike[str]) -> list[tuple[str, np.ndarray]]:
    """Real photos of people shipped in packages: scikit-image's astronaut and opencv-doc's."""
    import skimage.data  # extra: rollover (the photos serve the pose estimator only)

    out: list[tuple[str, np.ndarray]] = [
        ("skimage:astronaut", skimage.data.astronaut().astype(np.float32) / 255.0)
    ]
    root = Path(data_root)
    names = [
        "examples/data/basketball1.png",
        "examples/data/basketball2.png",
        "examples/data/messi5.jpg",
        "opencv4/html/person_multi_det.jpg",
        "opencv4/html/messiup.jpg",
    ]
    base = root / "debian/opencv-doc/usr/share/doc/opencv-doc"
    for n in names:
        p = base / n
        if p.is_file():
            out.append((f"opencv-doc:{Path(n).name}", read_rgb(p)))
    return out


@dataclass
class _Tally:
    """Counts of the measurement: per keypoint, and per condition (rotation, mirroring)."""

    miss_n: np.ndarray
    ref_n: np.ndarray
    miss_found: np.ndarray
    ref_found: np.ndarray
    errs: list[list[float]]
    cond: dict[str, dict[str, float]]

    @classmethod
    def empty(cls, n_kp: int) -> _Tally:
        z = np.zeros(n_kp)
        return cls(z.copy(), z.copy(), z.copy(), z.copy(), [[] for _ in range(n_kp)], {})


def _reference(
    backend: PoseBackend, rgb: np.ndarray, cfg: MeasureConfig
) -> tuple[np.ndarray, np.ndarray, float]:
    """The photo (resized, cropped to the person), its clean keypoints and torso length."""
    rgb = _resize(rgb, cfg.max_side)
    ref = backend.process((rgb * 255).round().astype(np.uint8))
    if int((ref[:, 2] >= cfg.score_thr).sum()) >= cfg.min_ref_keypoints:
        rgb = _crop_person(rgb, ref, cfg)
        ref = backend.process((rgb * 255).round().astype(np.uint8))
    return rgb, ref, torso_length(ref, cfg.score_thr)


def _night_frame(
    rgb: np.ndarray, seed: int, k_rot: int, mirror: bool, cfg: MeasureConfig
) -> np.ndarray:
    """The photo as a night frame, mirrored and rotated: (H, W, 3) uint8 for the estimator."""
    night, _ = simulate_night(rgb, seed)
    if cfg.stretch:
        night = stretch(night)
    img = night[:, ::-1] if mirror else night
    img = np.rot90(img, k_rot)
    u8 = np.repeat((np.clip(img, 0, 1) * 255).round().astype(np.uint8)[..., None], 3, axis=2)
    return np.ascontiguousarray(u8)


def _is_swap(
    xy: np.ndarray, d: np.ndarray, ok: list[int], ref: np.ndarray, scale: float,
    cfg: MeasureConfig,
) -> bool:  # fmt: skip
    """Shoulders and hips fit the reference better with left and right exchanged."""
    flip = list(COCO_FLIP)
    straight = sum(float(d[j]) for j in ok)
    swapped = sum(float(np.linalg.norm(xy[flip[j]] - ref[j, :2]) / scale) for j in ok)
    return swapped + cfg.swap_margin < straight


def _score_run(
    out: np.ndarray, ref: np.ndarray, scale: float, view: tuple[int, bool, int, int],
    cfg: MeasureConfig, tally: _Tally, c: dict[str, float],
) -> None:  # fmt: skip
    """Count one estimator run on a night view ``(k_rot, mirror, w, h)`` against ``ref``."""
    k_rot, mirror, w, h = view
    thr = cfg.score_thr
    rel = ref[:, 2] >= thr
    c["runs"] += 1
    c["ref"] += int(rel.sum())
    found = bool(out[:, 2].max() > 0)
    if found:
        c["found"] += 1
    xy = _unrotate(out[:, :2].astype(np.float64), k_rot, mirror, w, h)
    sc = out[:, 2]
    if mirror:
        xy = xy[list(COCO_FLIP)]
        sc = sc[list(COCO_FLIP)]
    d = np.linalg.norm(xy - ref[:, :2], axis=1) / scale
    for j in np.flatnonzero(rel).tolist():
        tally.ref_n[j] += 1
        tally.ref_found[j] += found
        if found and sc[j] < thr:
            tally.miss_found[j] += 1
        if not found or sc[j] < thr:
            tally.miss_n[j] += 1
            c["miss"] += 1
        else:
            tally.errs[j].append(float(d[j]))
    ok = [j for j in (5, 6, 11, 12) if rel[j] and sc[j] >= thr and found]
    if len(ok) >= 2 and _is_swap(xy, d, ok, ref, scale, cfg):
        c["swap"] += 1
    good = [float(d[j]) for j in range(len(rel)) if rel[j] and found and sc[j] >= thr]
    c["err"] += float(np.median(good)) if good else 0.0


def _per_keypoint(tally: _Tally) -> list[dict[str, Any]]:
    per_kp = []
    for j, nm in enumerate(COCO17):
        e = np.asarray(tally.errs[j])
        ref_n, ref_found = tally.ref_n[j], tally.ref_found[j]
        per_kp.append(
            {
                "keypoint": nm,
                "n": int(ref_n),
                "miss_rate": float(tally.miss_n[j] / ref_n) if ref_n else None,
                "miss_if_found": float(tally.miss_found[j] / ref_found) if ref_found else None,
                "err_median": float(np.median(e)) if len(e) else None,
                "err_p90": float(np.percentile(e, 90)) if len(e) else None,
            }
        )
    return per_kp


def measure(
    backend: PoseBackend,
    photos: list[tuple[str, np.ndarray]],
    cfg: MeasureConfig | None = None,
    progress: Progress | None = None,
) -> dict[str, Any]:
    """Run the measurement; returns per-keypoint and per-condition tables (JSON-ready).

    ``progress(done, total)`` after each estimator run on a night view.
    """
    cfg = cfg or MeasureConfig()
    tally = _Tally.empty(len(COCO17))
    used: list[str] = []
    skipped: list[str] = []
    total = len(photos) * 8 * cfg.seeds
    done = 0
    for name, photo in photos:
        rgb, ref, scale = _reference(backend, photo, cfg)
        if int((ref[:, 2] >= cfg.score_thr).sum()) < cfg.min_ref_keypoints or scale <= 0:
            skipped.append(name)
            continue
        used.append(name)
        h, w = rgb.shape[:2]
        for k_rot, mirror in itertools.product(range(4), (False, True)):
            key = f"rot{90 * k_rot}{'_mirror' if mirror else ''}"
            c = tally.cond.setdefault(
                key, {"runs": 0, "found": 0, "miss": 0, "ref": 0, "swap": 0, "err": 0.0}
            )
            for s in range(cfg.seeds):
                seed = cfg.seed + 1000 * s + 17 * k_rot + (7 if mirror else 0)
                out = backend.process(_night_frame(rgb, seed, k_rot, mirror, cfg))
                _score_run(out, ref, scale, (k_rot, mirror, w, h), cfg, tally, c)
                done += 1
                report(progress, done, total)
    if not used:
        raise CribwatchError("no usable photo of a person (the estimator found nobody)")
    return _summary(tally, used, skipped, cfg)


def _summary(
    tally: _Tally, used: list[str], skipped: list[str], cfg: MeasureConfig
) -> dict[str, Any]:
    """The JSON-ready result of a measurement from its counts."""
    thr = cfg.score_thr
    cond = tally.cond
    per_kp = _per_keypoint(tally)
    conditions = []
    for key, c in cond.items():
        runs = max(c["runs"], 1)
        conditions.append(
            {
                "condition": key,
                "runs": int(c["runs"]),
                "person_found": c["found"] / runs,
                "miss_rate": c["miss"] / max(c["ref"], 1),
                "lr_swap_rate": c["swap"] / runs,
                "err_median_mean": c["err"] / max(c["found"], 1),
            }
        )
    total_runs = sum(c["runs"] for c in cond.values())
    return {
        "photos": used,
        "skipped": skipped,
        "seeds": cfg.seeds,
        "stretch": cfg.stretch,
        "score_thr": thr,
        "per_keypoint": per_kp,
        "conditions": conditions,
        "person_found": sum(c["found"] for c in cond.values()) / max(total_runs, 1),
        "lr_swap_rate": sum(c["swap"] for c in cond.values()) / max(total_runs, 1),
    }


def measure_pose(
    data_root: str | os.PathLike[str],
    out: str | os.PathLike[str] | None = None,
    *,
    seeds: int = MeasureConfig.seeds,
    backend: PoseBackend | None = None,
    progress: Progress | None = None,
) -> dict[str, Any]:
    """The whole ``measure-pose`` run: photos, estimator, measurement, noise fit, ``out``.

    ``data_root`` is the fetched data folder (``cribwatch data fetch``); the estimator is
    MediaPipe in single-image mode unless ``backend`` is given (then it is not closed here).
    """
    root = Path(data_root)
    if not root.is_dir():
        raise CribwatchError(f"{root}: data folder not found")
    photos = find_photos(root)
    own = backend is None
    be = (
        backend
        if backend is not None
        else MediaPipeBackend(MediaPipeConfig(static_image_mode=True))
    )
    try:
        res = measure(be, photos, MeasureConfig(seeds=seeds), progress)
    finally:
        if own:
            be.close()
    res["fit"] = fit_noise(res)
    if out is not None:
        write_json(out, {"written_by": OUTPUT_MARK, **res})
    return res


def fit_noise(
    result: dict[str, Any], floor: float = 0.02, swap_floor: float = 0.005
) -> dict[str, Any]:
    """Noise-model fields fitted to a measurement.

    Misses and errors are those of frames where the person was found, averaged over each
    left/right pair (the photo set is small); miss rates are floored at ``floor`` and the
    swap rate at ``swap_floor`` (a rate of 0 seen in a few dozen runs is not 0). ``dropout``
    is the single-image rate of not finding the person at all: tracking mode on video runs the
    detector only when the track is lost, so it is an upper bound there, reported, not used.
    """
    per = result["per_keypoint"]
    raw_miss = [p["miss_if_found"] for p in per]
    raw_err = [p["err_median"] for p in per]
    miss: list[float] = []
    err: list[float] = []
    for j in range(len(per)):
        pair = {j, COCO_FLIP[j]}
        m = [raw_miss[i] for i in pair if raw_miss[i] is not None]
        e = [raw_err[i] for i in pair if raw_err[i] is not None]
        miss.append(max(floor, float(np.mean(m))) if m else 0.5)
        err.append(float(np.mean(e)) if e else 0.5)
    return {
        "miss": [round(m, 3) for m in miss],
        "err": [round(e, 3) for e in err],
        "dropout_single_image": round(1.0 - float(result["person_found"]), 3),
        "swap": round(max(swap_floor, float(result["lr_swap_rate"])), 3),
    }
