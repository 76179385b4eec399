"""Names and checks shared by the colour modules: method names, shipped weight files, image
size limits and the night/reference readers (kept apart from :mod:`cribwatch.color.api` so the
pipeline and the evaluation can use them without importing the front desk)."""

from __future__ import annotations

import os
from importlib import resources
from pathlib import Path

import numpy as np

from cribwatch.errors import CribwatchError
from cribwatch.io import read_gray, read_rgb

DEFAULT_METHOD = "ssim-guided"
"""The method ``Colorizer`` and ``cribwatch color colorize`` use unless told otherwise."""
BASELINE_METHODS: tuple[str, ...] = ("gray", "transfer", "ssim-map")
"""Non-learned methods (:mod:`cribwatch.color.transfer`)."""
LEARNED_METHODS: tuple[str, ...] = ("ref", "auto", "blend", "ssim-guided")
"""Learned methods (:mod:`cribwatch.color.pipeline`)."""
VARIANTS: tuple[str, ...] = ("guided", "bilinear", "lowres", "lowres-bilinear", "pad")
"""Pipeline variants of a learned method, selectable as ``method@variant`` (measurements)."""
SHIPPED_METHODS: tuple[str, ...] = ("ssim-guided", "ref", "auto")
"""Methods with one shipped network (``cribwatch color ship --method``)."""
WEIGHTS: dict[str, str] = {
    "ssim-guided": "color_ssim_guided_slim.pt",
    "ref": "color_ref.pt",
    "auto": "color_auto.pt",
}
"""Shipped weight files (in ``cribwatch/weights/``) of the single-network methods. ``ssim-guided``
is the slim network (13.7 M MACs at 128x128, distilled from ``color_ssim_guided.pt``, which stays
shipped as the teacher and for comparison; docs/results/color-speed.md)."""
ONNX_WEIGHTS: dict[str, str] = {"ssim-guided": "color_ssim_guided_slim.onnx"}
"""Shipped FP32 ONNX twins (same network, exported by ``cribwatch color export``)."""

MIN_SIDE = 16
"""Smallest accepted image side in pixels (the SSIM window and the guided filter need room)."""
MAX_ASPECT = 16.0
"""Largest accepted ratio of an image's longer to its shorter side."""


def weights_dir() -> Path:
    """The package's ``weights/`` folder."""
    return Path(str(resources.files("cribwatch") / "weights"))


def method_names() -> tuple[str, ...]:
    """Every name ``--method`` accepts (variants aside)."""
    return BASELINE_METHODS + LEARNED_METHODS


def check_method(name: str) -> None:
    """Refuse an unknown method name (``base`` or ``base@variant``) with one line."""
    base, _, variant = name.partition("@")
    if base not in method_names() or (variant and base not in LEARNED_METHODS):
        raise CribwatchError(f"unknown method {name!r} (choose from {', '.join(method_names())})")
    if variant and variant not in VARIANTS:
        raise CribwatchError(
            f"unknown variant {variant!r} in method {name!r} ({', '.join(VARIANTS)})"
        )


def default_weights(method: str) -> Path:
    """Path of the shipped weights of ``method`` (``ssim-guided``, ``ref`` or ``auto``)."""
    if method not in WEIGHTS:
        raise CribwatchError(f"no shipped weights for method {method!r}")
    return weights_dir() / WEIGHTS[method]


def default_onnx(method: str = DEFAULT_METHOD) -> Path:
    """Path of the shipped FP32 ONNX twin of ``method``'s weights."""
    if method not in ONNX_WEIGHTS:
        raise CribwatchError(f"no shipped ONNX model for method {method!r}")
    return weights_dir() / ONNX_WEIGHTS[method]


def check_image_size(path: str | os.PathLike[str], height: int, width: int) -> None:
    """Refuse an image the pipelines cannot work on: a side under :data:`MIN_SIDE` pixels or
    an aspect ratio over :data:`MAX_ASPECT` (the error names the file and the limits)."""
    short, long = min(height, width), max(height, width)
    if short < MIN_SIDE or long > MAX_ASPECT * short:
        raise CribwatchError(
            f"{path}: image of {width}x{height} pixels is too small or too thin (minimum "
            f"{MIN_SIDE}x{MIN_SIDE} pixels, longer side at most {MAX_ASPECT:g} times the shorter)"
        )


def read_night(path: str | os.PathLike[str]) -> np.ndarray:
    """A night frame as float32 grey (H, W) in [0, 1] (size checked)."""
    img = read_gray(path)
    check_image_size(path, *img.shape[:2])
    return img


def read_reference(path: str | os.PathLike[str]) -> np.ndarray:
    """A day reference as float32 RGB (H, W, 3) in [0, 1]; a grey image is refused."""
    img = read_rgb(path, require_color=True)
    check_image_size(path, *img.shape[:2])
    return img
