"""Pair-set generator: a day reference, the same scene changed, and its simulated night frame.

For every pair a scene photo is cropped (4:3, random scale and position) to the *reference*.
The *target* is the same scene changed the way a nursery changes between day and night:

- ``paste``: cut-out objects (RGBA stamps) pasted at random size, rotation and position;
- ``recolor``: a smooth blob region (a blanket, a cushion) given another hue and saturation;
- ``texture``: a blob region replaced by a patch of another photo (a new patterned blanket);
- ``move``: an object present in the reference appears elsewhere in the target;
- ``shift``: a small global camera shift and rotation (not marked as changed: the structure
  still matches, only slightly misaligned).

``mask.png`` marks what changed (255 changed, 0 static) in the target's coordinates and
``night.png`` is :func:`~cribwatch.sim.night.simulate_night` of the target. Each pair is
seeded from ``(seed, index)``, so the same seed gives the same bytes, and pairs do not depend
on how many came before.

Train and test sets are disjoint by scene photo and by stamp, both by file name: a name
belongs to the test split when ``sha1(name) mod 1000 < 1000 * test_fraction``.
"""

from __future__ import annotations

import hashlib
import warnings
from dataclasses import asdict, dataclass, field, replace
from functools import lru_cache
from pathlib import Path
from typing import Any, ClassVar, Literal

import cv2
import numpy as np
from PIL import Image
from scipy.ndimage import binary_dilation, gaussian_filter

from cribwatch.errors import CribwatchError
from cribwatch.io import (
    OUTPUT_MARK,
    atomic_dir,
    atomic_path,
    guard_output,
    image_size,
    read_json,
    read_json_object,
    write_image,
    write_json,
    written_by_cribwatch,
)
from cribwatch.progress import Progress, report
from cribwatch.sim.night import (
    RANGE_PRESETS,
    params_dict,
    ranges_dict,
    render_night,
    simulate_night,
)

Range = tuple[float, float]
Split = Literal["train", "test", "all"]
RefWarp = Literal["none", "identity", "camera"]
REF_WARPS: tuple[str, ...] = ("none", "identity", "camera")
"""Reference warps of :func:`make_pairs` (``--ref-warp``): ``none`` (the default sets);
``identity`` and ``camera``: no ``shift`` edit, the reference rendered from a wider crop and
resampled through a known warp (identity, or a random camera move: shift, rotation, zoom);
the same seed gives the same target, night frame and mask in both."""
IMAGE_EXTS = (".jpg", ".jpeg", ".png", ".bmp", ".tif", ".tiff", ".webp")
FORMAT = "cribwatch-pairs"
VERSION = 1


@dataclass(frozen=True)
class PairConfig:
    """Every tunable of the pair generator."""

    height: int = 240
    """Frame height in pixels."""
    width: int = 320
    """Frame width in pixels."""
    source_short_side: int = 720
    """Scene photos are first scaled so their shorter side is this (crops stay sharp)."""
    crop_scale: Range = (0.4, 1.0)
    """Crop height as a fraction of the (scaled) photo's shorter side."""
    test_fraction: float = 0.2
    """Share of scene and stamp names held out for the test split."""
    p_paste: float = 0.75
    """Probability of pasting objects."""
    n_paste: tuple[int, int] = (1, 3)
    """Number of pasted objects (inclusive)."""
    stamp_size: Range = (0.18, 0.5)
    """A stamp's longer side as a fraction of the frame height."""
    stamp_rotate: float = 30.0
    """Maximum stamp rotation in degrees."""
    p_recolor: float = 0.45
    """Probability of recolouring a blob region."""
    p_texture: float = 0.25
    """Probability of replacing a blob region with another photo's texture."""
    blob_size: Range = (0.12, 0.35)
    """Blob radii as fractions of the frame's height and width."""
    hue_shift: Range = (0.2, 0.8)
    """Hue rotation of a recoloured region (turns)."""
    new_saturation: Range = (0.3, 0.8)
    """Saturation a recoloured region is pulled to."""
    p_move: float = 0.3
    """Probability of moving an object between reference and target."""
    p_shift: float = 0.5
    """Probability of a small global camera shift and rotation."""
    max_shift: float = 0.015
    """Maximum camera shift as a fraction of the frame width."""
    max_rotate: float = 1.0
    """Maximum camera rotation in degrees."""
    min_chroma: float = 0.04
    """A reference crop whose mean colour spread max(R,G,B) - min(R,G,B) is below this (a
    near-grey crop: no colour to transfer) is redrawn."""
    min_changed: float = 0.02
    """A pair whose changed area is below this fraction is redrawn."""
    max_tries: int = 20
    """Redraws before giving up on a pair."""
    warp_shift: float = 0.1
    """``--ref-warp camera``: largest reference shift (x and y) as a fraction of the width."""
    warp_rotate: float = 5.0
    """``--ref-warp camera``: largest reference rotation in degrees."""
    warp_zoom: Range = (0.9, 1.1)
    """``--ref-warp camera``: reference zoom range (> 1: the reference sees a wider field)."""
    min_structure: float = 0.0
    """A reference crop whose structure (:func:`scene_structure`: mean gradient magnitude of
    its grey, blurred 2 px at 240 rows) is below this is redrawn; 0: off. The room-like variant
    (``--min-structure 0.05``) asks as much structure as the least-structured 10% of real
    photographs (OpenCV's sample photos: p10 0.051, median 0.122); the wallpapers of the
    default sets have median 0.054 (docs/results/color-camera.md, fourth pass)."""
    max_changed: float = 1.0
    """A pair whose changed area is above this fraction is redrawn (a change budget: in a
    nursery the crib and furniture stay); 1: off."""
    align_frames: int = 1
    """Above 1: also write ``align.png``, the mean of this many night frames of the same
    target (the stored ``night.png`` and others with fresh sensor noise, the same simulator
    parameters): the alignment frame of a static camera's stream."""

    BOUNDS: ClassVar[dict[str, tuple[float, float]]] = {
        "min_structure": (0.0, 1.0),
        "max_changed": (0.0, 1.0),
        "align_frames": (1, 64),
    }

    def __post_init__(self) -> None:
        if not 0.0 <= self.min_structure <= 1.0:
            raise CribwatchError(f"min_structure must be in [0, 1], not {self.min_structure}")
        if not 0.0 < self.max_changed <= 1.0:
            raise CribwatchError(f"max_changed must be in (0, 1], not {self.max_changed}")
        if self.max_changed < self.min_changed:
            raise CribwatchError(
                f"max_changed ({self.max_changed}) is below min_changed ({self.min_changed})"
            )
        if not 1 <= self.align_frames <= 64:
            raise CribwatchError(f"align_frames must be 1 to 64, not {self.align_frames}")


@dataclass
class Pair:
    """One pair of a set (paths; ``target`` and ``mask`` are None for real pairs)."""

    id: str
    dir: Path
    reference: Path
    night: Path
    target: Path | None
    mask: Path | None
    meta: dict[str, Any] = field(default_factory=dict)
    align: Path | None = None
    """``align.png``: the mean of several night frames of the same view (``make-pairs
    --align-frames``), the frame registration uses; None: the night frame itself."""


def split_of(name: str, test_fraction: float) -> str:
    """'test' or 'train' for a source file name (stable hash of the name)."""
    h = int(hashlib.sha1(name.encode("utf-8")).hexdigest(), 16) % 1000
    return "test" if h < round(1000 * test_fraction) else "train"


def list_images(folder: Path, what: str) -> list[Path]:
    """Image files directly in ``folder`` (symlinks followed), sorted by name."""
    if not folder.is_dir():
        raise CribwatchError(f"{folder}: {what} folder not found")
    files = sorted(p for p in folder.iterdir() if p.suffix.lower() in IMAGE_EXTS and p.is_file())
    if not files:
        raise CribwatchError(f"{folder}: no {what} images (.png/.jpg) found")
    return files


def _open(path: Path, mode: str, draft: int | None = None) -> Image.Image:
    """Decode ``path`` in ``mode`` (JPEGs drafted near ``draft`` pixels a side), with the
    pixel cap checked from the header first."""
    image_size(path)  # the pixel cap, from the header, with the size named
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(path) as im:
                if draft is not None:
                    im.draft("RGB", (draft, draft))
                return im.convert(mode)
    except Image.DecompressionBombError as exc:
        raise CribwatchError(f"{path}: image too large to decode ({exc})") from exc
    except (OSError, SyntaxError, ValueError) as exc:
        raise CribwatchError(f"{path}: not a readable image ({exc})") from exc


@lru_cache(maxsize=8)
def _load_scene(path: Path, short_side: int) -> np.ndarray:
    img = _open(path, "RGB", short_side * 3)
    s = short_side / min(img.size)
    if s < 1:
        img = img.resize((round(img.width * s), round(img.height * s)), Image.Resampling.LANCZOS)
    return np.asarray(img, dtype=np.float32) / 255.0


@lru_cache(maxsize=64)
def _load_stamp(path: Path) -> np.ndarray:
    img = _open(path, "RGBA")
    return np.asarray(img, dtype=np.float32) / 255.0


def _resize(img: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """Resize float image (H, W[, C]) to (width, height) with Lanczos via PIL float planes."""
    w, h = size
    if img.ndim == 2:
        return np.asarray(Image.fromarray(img).resize((w, h), Image.Resampling.LANCZOS))
    return np.stack([_resize(img[..., c], size) for c in range(img.shape[2])], axis=2)


def _crop(
    src: np.ndarray, cfg: PairConfig, rng: np.random.Generator
) -> tuple[tuple[float, float, float], np.ndarray]:
    sh, sw = src.shape[:2]
    aspect = cfg.width / cfg.height
    ch = min(sh, sw / aspect) * rng.uniform(*cfg.crop_scale)
    cw = ch * aspect
    y0 = rng.uniform(0, sh - ch)
    x0 = rng.uniform(0, sw - cw)
    return (x0, y0, ch), _crop_at(src, x0, y0, ch, cfg, 0.0)


def _crop_at(
    src: np.ndarray, x0: float, y0: float, ch: float, cfg: PairConfig, angle: float
) -> np.ndarray:
    cw = ch * cfg.width / cfg.height
    box = (x0, y0, x0 + cw, y0 + ch)
    planes = []
    for c in range(3):
        im = Image.fromarray(src[..., c])
        if angle:
            im = im.rotate(
                angle, resample=Image.Resampling.BILINEAR, center=(x0 + cw / 2, y0 + ch / 2)
            )
        planes.append(
            np.asarray(im.resize((cfg.width, cfg.height), Image.Resampling.LANCZOS, box=box))
        )
    return np.clip(np.stack(planes, axis=2), 0, 1)


def scene_structure(rgb: np.ndarray) -> float:
    """Mean gradient magnitude (Sobel, after a Gaussian blur of 2 px scaled to 240 rows) of an
    RGB image's grey (luma) in [0, 1]: how much structure a view offers registration."""
    y = np.asarray(rgb, np.float64) @ np.array([0.299, 0.587, 0.114])
    b = gaussian_filter(y, 2.0 * y.shape[0] / 240.0)
    gx = cv2.Sobel(b, cv2.CV_64F, 1, 0, ksize=3)
    gy = cv2.Sobel(b, cv2.CV_64F, 0, 1, ksize=3)
    return float(np.hypot(gx, gy).mean())


def _blob(cfg: PairConfig, rng: np.random.Generator) -> np.ndarray:
    """Soft random blob alpha (H, W) in [0, 1]: a noisy ellipse."""
    h, w = cfg.height, cfg.width
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    cy, cx = rng.uniform(0.2, 0.8) * h, rng.uniform(0.2, 0.8) * w
    ry, rx = rng.uniform(*cfg.blob_size) * h, rng.uniform(*cfg.blob_size) * w
    theta = rng.uniform(0, np.pi)
    dx, dy = xx - cx, yy - cy
    u = (dx * np.cos(theta) + dy * np.sin(theta)) / rx
    v = (-dx * np.sin(theta) + dy * np.cos(theta)) / ry
    noise = gaussian_filter(rng.standard_normal((h, w)).astype(np.float32), 12.0)
    noise /= np.abs(noise).max() + 1e-6
    inside = (u * u + v * v) < 1.0 + 0.35 * noise
    return np.clip(gaussian_filter(inside.astype(np.float32), 1.5), 0, 1)


def _place_stamp(
    stamp: np.ndarray, cfg: PairConfig, rng: np.random.Generator, at: tuple[float, float] | None
) -> tuple[np.ndarray, np.ndarray, dict[str, Any]]:
    """Scaled, rotated, flipped stamp placed on a frame: (rgb, alpha, params)."""
    h, w = cfg.height, cfg.width
    size = rng.uniform(*cfg.stamp_size) * h
    sh, sw = stamp.shape[:2]
    s = size / max(sh, sw)
    nh, nw = max(4, round(sh * s)), max(4, round(sw * s))
    img = Image.fromarray((np.clip(stamp, 0, 1) * 255).astype(np.uint8), "RGBA").resize(
        (nw, nh), Image.Resampling.LANCZOS
    )
    angle = float(rng.uniform(-cfg.stamp_rotate, cfg.stamp_rotate))
    flip = bool(rng.uniform() < 0.5)
    if flip:
        img = img.transpose(Image.Transpose.FLIP_LEFT_RIGHT)
    img = img.rotate(angle, resample=Image.Resampling.BICUBIC, expand=True)
    arr = np.asarray(img, dtype=np.float32) / 255.0
    ph, pw = arr.shape[:2]
    if at is None:
        cy, cx = rng.uniform(0.15, 0.85) * h, rng.uniform(0.15, 0.85) * w
    else:
        cy, cx = at
    y0, x0 = int(round(cy - ph / 2)), int(round(cx - pw / 2))
    rgb = np.zeros((h, w, 3), np.float32)
    alpha = np.zeros((h, w), np.float32)
    ys, xs = max(0, y0), max(0, x0)
    ye, xe = min(h, y0 + ph), min(w, x0 + pw)
    if ye > ys and xe > xs:
        rgb[ys:ye, xs:xe] = arr[ys - y0 : ye - y0, xs - x0 : xe - x0, :3]
        alpha[ys:ye, xs:xe] = arr[ys - y0 : ye - y0, xs - x0 : xe - x0, 3]
    params = {
        "size": round(float(size), 2),
        "angle": round(angle, 2),
        "flip": flip,
        "centre": [round(float(cy), 1), round(float(cx), 1)],
    }
    return rgb, alpha, params


def _over(base: np.ndarray, rgb: np.ndarray, alpha: np.ndarray) -> np.ndarray:
    a = alpha[..., None]
    return base * (1 - a) + rgb * a


def _recolor(
    img: np.ndarray, alpha: np.ndarray, cfg: PairConfig, rng: np.random.Generator
) -> tuple[np.ndarray, dict[str, Any]]:
    from skimage.color import hsv2rgb, rgb2hsv  # extra: train (pair generation)

    hsv = rgb2hsv(np.clip(img, 0, 1))
    shift = float(rng.uniform(*cfg.hue_shift))
    sat = float(rng.uniform(*cfg.new_saturation))
    hsv[..., 0] = (hsv[..., 0] + shift) % 1.0
    hsv[..., 1] = 0.3 * hsv[..., 1] + 0.7 * sat
    new = hsv2rgb(hsv).astype(np.float32)
    return _over(img, new, alpha), {"hue_shift": round(shift, 3), "saturation": round(sat, 3)}


def camera_warp(
    cfg: PairConfig, rng: np.random.Generator | None
) -> tuple[np.ndarray, dict[str, Any]]:
    """A reference warp ``G`` (2x3, warped-reference pixel -> original reference pixel, pixel
    centres at integers): ``p = c + zoom R(angle) (q - c) + shift`` about the frame centre
    ``c``; identity when ``rng`` is None. Returns ``G`` and its parameters."""
    if rng is None:
        dx = dy = angle = 0.0
        zoom = 1.0
    else:
        dx = float(rng.uniform(-1, 1) * cfg.warp_shift * cfg.width)
        dy = float(rng.uniform(-1, 1) * cfg.warp_shift * cfg.width)
        angle = float(rng.uniform(-cfg.warp_rotate, cfg.warp_rotate))
        zoom = float(rng.uniform(*cfg.warp_zoom))
    t = np.deg2rad(angle)
    a = zoom * np.array([[np.cos(t), -np.sin(t)], [np.sin(t), np.cos(t)]])
    c = np.array([(cfg.width - 1) / 2.0, (cfg.height - 1) / 2.0])
    g = np.hstack([a, (c + np.array([dx, dy]) - a @ c)[:, None]])
    return g, {"shift_px": [round(dx, 3), round(dy, 3)], "angle": round(angle, 4),
               "zoom": round(zoom, 5)}  # fmt: skip


def invert_affine(m: np.ndarray) -> np.ndarray:
    """Inverse of a 2x3 affine map."""
    a = np.linalg.inv(m[:, :2])
    return np.hstack([a, (-a @ m[:, 2])[:, None]])


def _warped_reference(
    src: np.ndarray,
    crop: tuple[float, float, float],
    layers: list[tuple[np.ndarray, np.ndarray]],
    g: np.ndarray,
    cfg: PairConfig,
) -> np.ndarray:
    """The reference seen through the warp ``g``: a canvas wider than the crop by a margin
    (the same pixel scale, the photo mirrored beyond its edges), the reference's own layers
    (a moved object) laid on it, resampled (Lanczos) at ``g``."""
    x0, y0, ch = crop
    s = ch / cfg.height
    m = int(np.ceil(0.35 * cfg.width))
    pad = int(np.ceil(m * s)) + 4
    padded = np.pad(src, ((pad, pad), (pad, pad), (0, 0)), mode="reflect")
    cw, chh = cfg.width + 2 * m, cfg.height + 2 * m
    bx, by = x0 - m * s + pad, y0 - m * s + pad
    planes = [
        np.asarray(
            Image.fromarray(np.ascontiguousarray(padded[..., c])).resize(
                (cw, chh), Image.Resampling.LANCZOS, box=(bx, by, bx + cw * s, by + chh * s)
            )
        )
        for c in range(3)
    ]
    canvas = np.clip(np.stack(planes, axis=2), 0, 1).astype(np.float32)
    for rgb, alpha in layers:
        big_rgb = np.zeros_like(canvas)
        big_a = np.zeros(canvas.shape[:2], np.float32)
        big_rgb[m : m + cfg.height, m : m + cfg.width] = rgb
        big_a[m : m + cfg.height, m : m + cfg.width] = alpha
        canvas = _over(canvas, big_rgb, big_a)
    gm = g.copy()
    gm[:, 2] += m
    out = cv2.warpAffine(
        canvas,
        gm.astype(np.float64),
        (cfg.width, cfg.height),
        flags=cv2.INTER_LANCZOS4 | cv2.WARP_INVERSE_MAP,
        borderMode=cv2.BORDER_REFLECT_101,
    )
    return np.clip(out, 0, 1).astype(np.float32)


def generate_pair(
    scenes: list[Path],
    stamps: list[Path],
    seed: int,
    index: int,
    cfg: PairConfig,
    night_preset: str = "train",
    ref_warp: RefWarp = "none",
) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    """One pair's images (reference, target, night, mask) and its meta, from ``(seed, index)``.

    ``ref_warp`` ``identity`` or ``camera`` (:data:`REF_WARPS`) renders the reference through a
    known warp (:func:`camera_warp`, drawn from its own generator ``(seed, index, 3)``) and
    records the night -> reference map in the meta's ``ref_warp`` (the caller turns the
    ``shift`` edit off: :func:`make_pairs` does)."""
    rng = np.random.default_rng([seed, index])
    layers: list[tuple[np.ndarray, np.ndarray]] = []
    for _ in range(cfg.max_tries):
        layers = []
        scene = scenes[int(rng.integers(len(scenes)))]
        src = _load_scene(scene, cfg.source_short_side)
        (x0, y0, ch), reference = _crop(src, cfg, rng)
        if float((reference.max(axis=2) - reference.min(axis=2)).mean()) < cfg.min_chroma:
            continue
        if cfg.min_structure > 0 and scene_structure(reference) < cfg.min_structure:
            continue
        edits: list[dict[str, Any]] = []
        changed = np.zeros((cfg.height, cfg.width), bool)
        if rng.uniform() < cfg.p_shift:
            dx = float(rng.uniform(-1, 1) * cfg.max_shift * ch * cfg.width / cfg.height)
            dy = float(rng.uniform(-1, 1) * cfg.max_shift * ch * cfg.width / cfg.height)
            dx = float(np.clip(dx, -x0, src.shape[1] - x0 - ch * cfg.width / cfg.height))
            dy = float(np.clip(dy, -y0, src.shape[0] - y0 - ch))
            angle = float(rng.uniform(-cfg.max_rotate, cfg.max_rotate))
            target = _crop_at(src, x0 + dx, y0 + dy, ch, cfg, angle)
            scale = cfg.height / ch
            edits.append(
                {
                    "edit": "shift",
                    "dx_px": round(dx * scale, 2),
                    "dy_px": round(dy * scale, 2),
                    "angle": round(angle, 3),
                }
            )
        else:
            target = reference.copy()
        if stamps and rng.uniform() < cfg.p_move:
            stamp_path = stamps[int(rng.integers(len(stamps)))]
            stamp = _load_stamp(stamp_path)
            rgb, a_ref, p_a = _place_stamp(
                stamp, cfg, np.random.default_rng([seed, index, 1]), None
            )
            b_at = (rng.uniform(0.15, 0.85) * cfg.height, rng.uniform(0.15, 0.85) * cfg.width)
            rgb_b, a_b, p_b = _place_stamp(
                stamp, cfg, np.random.default_rng([seed, index, 1]), b_at
            )
            reference = _over(reference, rgb, a_ref)
            layers.append((rgb, a_ref))
            target = _over(target, rgb_b, a_b)
            changed |= (a_ref > 0.5) ^ (a_b > 0.5)
            edits.append(
                {
                    "edit": "move",
                    "stamp": stamp_path.name,
                    "from": p_a["centre"],
                    "to": p_b["centre"],
                }
            )
        if rng.uniform() < cfg.p_recolor:
            alpha = _blob(cfg, rng)
            target, params = _recolor(target, alpha, cfg, rng)
            changed |= alpha > 0.5
            edits.append({"edit": "recolor", **params})
        if rng.uniform() < cfg.p_texture and len(scenes) > 1:
            other = scenes[int(rng.integers(len(scenes)))]
            _, patch = _crop(_load_scene(other, cfg.source_short_side), cfg, rng)
            alpha = _blob(cfg, rng)
            target = _over(target, patch, alpha)
            changed |= alpha > 0.5
            edits.append({"edit": "texture", "source": other.name})
        if stamps and (
            rng.uniform() < cfg.p_paste
            or not edits
            or edits == [edits[0]]
            and edits[0]["edit"] == "shift"
        ):
            n = int(rng.integers(cfg.n_paste[0], cfg.n_paste[1] + 1))
            for _k in range(n):
                stamp_path = stamps[int(rng.integers(len(stamps)))]
                rgb, alpha, params = _place_stamp(_load_stamp(stamp_path), cfg, rng, None)
                target = _over(target, rgb, alpha)
                changed |= alpha > 0.5
                edits.append({"edit": "paste", "stamp": stamp_path.name, **params})
        frac = float(changed.mean())
        if cfg.min_changed <= frac <= cfg.max_changed:
            break
    else:
        raise CribwatchError(
            f"pair {index}: no colourful crop with a change between {cfg.min_changed:.0%} and "
            f"{cfg.max_changed:.0%}"
            + (f" and structure >= {cfg.min_structure}" if cfg.min_structure > 0 else "")
        )
    night, night_params = simulate_night(
        target, np.random.default_rng([seed, index, 2]), RANGE_PRESETS[night_preset]
    )
    extra: dict[str, np.ndarray] = {}
    if cfg.align_frames > 1:
        frames = [night] + [
            render_night(target, night_params, np.random.default_rng([seed, index, 2, 1000 + k]))
            for k in range(1, cfg.align_frames)
        ]
        extra["align"] = np.mean(frames, axis=0).astype(np.float32)
    meta = {
        "id": f"{index:05d}",
        "seed": [seed, index],
        "scene": scene.name,
        "crop": {"x": round(x0, 1), "y": round(y0, 1), "height": round(ch, 1)},
        "edits": edits,
        "changed_fraction": round(frac, 4),
        "night_preset": night_preset,
        "night": params_dict(night_params),
    }
    if cfg.align_frames > 1:
        meta["align_frames"] = cfg.align_frames
    if ref_warp != "none":
        if ref_warp not in REF_WARPS:
            raise CribwatchError(f"unknown reference warp {ref_warp!r} ({', '.join(REF_WARPS)})")
        g, wparams = camera_warp(
            cfg, np.random.default_rng([seed, index, 3]) if ref_warp == "camera" else None
        )
        reference = _warped_reference(src, (x0, y0, ch), layers, g, cfg)
        meta["ref_warp"] = {
            "kind": ref_warp,
            **wparams,
            "night_to_reference": np.round(invert_affine(g), 6).tolist(),
        }
    images = {
        "reference": reference,
        "target": np.clip(target, 0, 1),
        "night": night,
        "mask": binary_dilation(changed, iterations=1).astype(np.float32),
        **extra,
    }
    return images, meta


def select_sources(paths: list[Path], split: Split, test_fraction: float) -> list[Path]:
    """Sources of a split (all for 'all')."""
    if split == "all":
        return paths
    return [p for p in paths if split_of(p.name, test_fraction) == split]


def make_pairs(
    images: Path,
    stamps: Path,
    out: Path,
    n: int,
    seed: int,
    split: Split = "train",
    night_preset: str = "train",
    cfg: PairConfig | None = None,
    progress: Progress | None = None,
    force: bool = False,
    ref_warp: RefWarp = "none",
) -> Path:
    """Build a pair set in ``out``, written whole through :func:`cribwatch.io.atomic_dir`
    (a temporary folder beside it, manifest last, swapped in when complete). An earlier set
    (or any cribwatch output folder) is replaced; a folder cribwatch did not write is refused
    unless ``force``, and never one holding ``images`` or ``stamps``, '.', home or root."""
    cfg = cfg or PairConfig()
    if ref_warp not in REF_WARPS:
        raise CribwatchError(f"--ref-warp: unknown {ref_warp!r} ({', '.join(REF_WARPS)})")
    if ref_warp != "none":
        cfg = replace(cfg, p_shift=0.0)
    if n < 1:
        raise CribwatchError(f"--n must be at least 1, got {n}")
    if night_preset not in RANGE_PRESETS:
        raise CribwatchError(f"unknown night ranges {night_preset!r} ({', '.join(RANGE_PRESETS)})")
    if split not in ("train", "test", "all"):
        raise CribwatchError(f"unknown split {split!r} (train, test or all)")
    out = Path(out)
    # never an input, '.', its parents, home or root (even with force) ...
    guard_output(out, inputs={"--images": images, "--stamps": stamps}, force=True)
    # ... and no folder cribwatch did not write unless force
    if out.is_dir() and any(out.iterdir()) and not force and not written_by_cribwatch(out):
        raise CribwatchError(
            f"--out {out}: output folder exists, is not empty and was not written by "
            "cribwatch (use --force to replace it)"
        )
    scenes = select_sources(list_images(images, "scene"), split, cfg.test_fraction)
    stamp_files = select_sources(list_images(stamps, "stamp"), split, cfg.test_fraction)
    if not scenes:
        raise CribwatchError(f"{images}: no scene images fall in the {split} split")
    with atomic_dir(out, force=force) as tmp:
        scenes_used: set[str] = set()
        stamps_used: set[str] = set()
        for i in range(n):
            imgs, meta = generate_pair(scenes, stamp_files, seed, i, cfg, night_preset, ref_warp)
            d = tmp / meta["id"]
            d.mkdir()
            for name in ("reference", "target", "night", "mask", "align"):
                if name in imgs:
                    write_image(d / f"{name}.png", imgs[name])
            write_json(d / "meta.json", meta)
            scenes_used.add(meta["scene"])
            for e in meta["edits"]:
                if "stamp" in e:
                    stamps_used.add(e["stamp"])
                if "source" in e:
                    scenes_used.add(e["source"])
            report(progress, i + 1, n)
        manifest = {
            "format": FORMAT,
            "version": VERSION,
            "written_by": OUTPUT_MARK,
            "seed": seed,
            "n": n,
            "split": split,
            "sources": {
                "images": str(images),
                "stamps": str(stamps),
                "scenes_used": sorted(scenes_used),
                "stamps_used": sorted(stamps_used),
                "licences": "scenes: Debian mate-backgrounds (GPL-2+/CC-BY-SA), "
                "plasma-workspace-wallpapers (LGPL-3/CC-BY-SA-4.0), scikit-image samples "
                "(public domain/CC0); stamps: Debian tuxpaint-stamps-default (GPL-2+)",
            },
            "night_preset": night_preset,
            "night_ranges": ranges_dict(RANGE_PRESETS[night_preset]),
            "config": asdict(cfg),
        }
        if ref_warp != "none":
            manifest["ref_warp"] = ref_warp
        write_json(tmp / "manifest.json", manifest)
    return out


def load_pair_set(folder: Path) -> list[Pair]:
    """The pairs of a set: sub-folders with ``reference.png`` and ``night.png`` (``target.png``
    and ``mask.png`` where ground truth exists). A ``manifest.json``, if present, must be a
    cribwatch pair-set manifest."""
    folder = Path(folder)
    if not folder.is_dir():
        raise CribwatchError(f"{folder}: pair-set folder not found")
    man = folder / "manifest.json"
    if man.exists():
        m = read_json(man)
        if not isinstance(m, dict) or m.get("format") != FORMAT:
            raise CribwatchError(f"{man}: not a cribwatch pair-set manifest (format {FORMAT!r})")
        if m.get("version") != VERSION:
            raise CribwatchError(f"{man}: unsupported pair-set version {m.get('version')!r}")
    pairs: list[Pair] = []
    for d in sorted(p for p in folder.iterdir() if p.is_dir() and not p.name.startswith(".")):
        ref, night = d / "reference.png", d / "night.png"
        if not (ref.exists() and night.exists()):
            continue
        target, mask = d / "target.png", d / "mask.png"
        meta_path = d / "meta.json"
        pairs.append(
            Pair(
                id=d.name,
                dir=d,
                reference=ref,
                night=night,
                target=target if target.exists() else None,
                mask=mask if mask.exists() else None,
                meta=read_json_object(meta_path) if meta_path.exists() else {},
                align=d / "align.png" if (d / "align.png").exists() else None,
            )
        )
    if not pairs:
        raise CribwatchError(f"{folder}: no pairs (sub-folders with reference.png and night.png)")
    return pairs


__all__ = [
    "PairConfig",
    "Pair",
    "make_pairs",
    "load_pair_set",
    "generate_pair",
    "split_of",
    "scene_structure",
    "atomic_path",
]
