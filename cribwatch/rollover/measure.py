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

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from cribwatch.errors import CribwatchError
from cribwatch.rollover.pose import COCO17, COCO_FLIP, PoseBackend


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
    from PIL import Image

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
    from PIL import Image

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
    import skimage.data

    from cribwatch.io import read_rgb

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


def measure(
    backend: PoseBackend,
    photos: list[tuple[str, np.ndarray]],
    cfg: MeasureConfig | None = None,
    progress: Callable[[], None] | None = None,
) -> dict[str, Any]:
    """Run the measurement; returns per-keypoint and per-condition tables (JSON-ready)."""
    from cribwatch.sim.night import simulate_night

    cfg = cfg or MeasureConfig()
    thr = cfg.score_thr
    n_kp = len(COCO17)
    miss_n = np.zeros(n_kp)
    ref_n = np.zeros(n_kp)
    miss_found = np.zeros(n_kp)
    ref_found = np.zeros(n_kp)
    errs: list[list[float]] = [[] for _ in range(n_kp)]
    cond: dict[str, dict[str, float]] = {}
    used: list[str] = []
    skipped: list[str] = []
    for name, rgb in photos:
        rgb = _resize(rgb, cfg.max_side)
        ref = backend.process((rgb * 255).round().astype(np.uint8))
        if int((ref[:, 2] >= thr).sum()) >= cfg.min_ref_keypoints:
            rgb = _crop_person(rgb, ref, cfg)
            ref = backend.process((rgb * 255).round().astype(np.uint8))
        h, w = rgb.shape[:2]
        scale = torso_length(ref, thr)
        if int((ref[:, 2] >= thr).sum()) < cfg.min_ref_keypoints or scale <= 0:
            skipped.append(name)
            continue
        used.append(name)
        rel = ref[:, 2] >= thr
        for k_rot in range(4):
            for mirror in (False, True):
                key = f"rot{90 * k_rot}{'_mirror' if mirror else ''}"
                c = cond.setdefault(
                    key, {"runs": 0, "found": 0, "miss": 0, "ref": 0, "swap": 0, "err": 0.0}
                )
                for s in range(cfg.seeds):
                    seed = cfg.seed + 1000 * s + 17 * k_rot + (7 if mirror else 0)
                    night, _ = simulate_night(rgb, seed)
                    if cfg.stretch:
                        night = stretch(night)
                    img = night[:, ::-1] if mirror else night
                    img = np.rot90(img, k_rot)
                    u8 = np.repeat((np.clip(img, 0, 1) * 255).round().astype(np.uint8)[..., None],
                                   3, axis=2)  # fmt: skip
                    out = backend.process(np.ascontiguousarray(u8))
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
                    for j in range(n_kp):
                        if not rel[j]:
                            continue
                        ref_n[j] += 1
                        ref_found[j] += found
                        if found and sc[j] < thr:
                            miss_found[j] += 1
                        if not found or sc[j] < thr:
                            miss_n[j] += 1
                            c["miss"] += 1
                        else:
                            errs[j].append(float(d[j]))
                    torso = [5, 6, 11, 12]
                    ok = [j for j in torso if rel[j] and sc[j] >= thr and found]
                    if len(ok) >= 2:
                        flip = list(COCO_FLIP)
                        straight = sum(float(d[j]) for j in ok)
                        swapped = sum(
                            float(np.linalg.norm(xy[flip[j]] - ref[j, :2]) / scale) for j in ok
                        )
                        if swapped + cfg.swap_margin < straight:
                            c["swap"] += 1
                    good = [float(d[j]) for j in range(n_kp) if rel[j] and found and sc[j] >= thr]
                    c["err"] += float(np.median(good)) if good else 0.0
                    if progress is not None:
                        progress()
    if not used:
        raise CribwatchError("no usable photo of a person (the estimator found nobody)")
    per_kp = []
    for j, nm in enumerate(COCO17):
        e = np.asarray(errs[j])
        per_kp.append(
            {
                "keypoint": nm,
                "n": int(ref_n[j]),
                "miss_rate": float(miss_n[j] / ref_n[j]) if ref_n[j] else None,
                "miss_if_found": float(miss_found[j] / ref_found[j]) if ref_found[j] else None,
                "err_median": float(np.median(e)) if len(e) else None,
                "err_p90": float(np.percentile(e, 90)) if len(e) else None,
            }
        )
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
