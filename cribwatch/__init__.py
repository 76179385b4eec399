"""cribwatch: on-device AI for smart baby-monitor cameras.

The three front desks, one per capability (each also importable from its own ``api`` module)::

    import cribwatch

    col = cribwatch.Colorizer(day_rgb)          # night colorization with a day reference
    det = cribwatch.CryDetector()               # streaming cry detector: push(pcm) -> messages
    rol = cribwatch.RolloverDetector()          # keypoints (or frames) with times -> alerts

They are resolved on first use (PEP 562), so ``import cribwatch`` stays light (no ONNX Runtime,
OpenCV or pose model loaded until a front desk is asked for) and ``python -m
cribwatch.color.runtime`` runs a module that was not imported before.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"
__all__ = ["Colorizer", "CryDetector", "RolloverDetector", "__version__"]

if TYPE_CHECKING:
    from cribwatch.color.api import Colorizer
    from cribwatch.cry.api import CryDetector
    from cribwatch.rollover.api import RolloverDetector


def __getattr__(name: str) -> Any:
    # The public API on first use (see the module docstring): the one lazy import outside an
    # optional extra's boundary, kept to these three names.
    if name == "Colorizer":
        from cribwatch.color.api import Colorizer  # public API

        return Colorizer
    if name == "CryDetector":
        from cribwatch.cry.api import CryDetector  # public API

        return CryDetector
    if name == "RolloverDetector":
        from cribwatch.rollover.api import RolloverDetector  # public API

        return RolloverDetector
    raise AttributeError(f"module 'cribwatch' has no attribute {name!r}")
