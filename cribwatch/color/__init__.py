"""Night colorization: colour a night infrared frame with a daytime reference of the scene.

The front desk is :mod:`cribwatch.color.api` (imported from there, not re-exported here, so
that ``python -m cribwatch.color.runtime`` runs a module not imported yet)::

    from cribwatch.color.api import Colorizer

    col = Colorizer(day_rgb)        # the shipped ssim-guided network, ONNX Runtime, no torch
    rgb = col.colorize(night_grey)  # (H, W, 3) float32 in [0, 1]
"""
