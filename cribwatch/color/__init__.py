"""Night colorization: colour a night infrared frame with a daytime reference of the scene.

The front desk is :mod:`cribwatch.color.api`::

    from cribwatch.color import Colorizer

    col = Colorizer(day_rgb)        # the shipped ssim-guided network, ONNX Runtime, no torch
    rgb = col.colorize(night_grey)  # (H, W, 3) float32 in [0, 1]
"""

from cribwatch.color.api import DEFAULT_METHOD, Colorizer, default_onnx, default_weights, model_card

__all__ = ["DEFAULT_METHOD", "Colorizer", "default_onnx", "default_weights", "model_card"]
