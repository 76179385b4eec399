"""The roll-over as a short animated clip: the simulated keypoints of the demo sequence around
its first roll to prone, drawn as stick figures frame by frame with the true and the tracked
posture and the alert, written as an animated GIF through Pillow (plays in every browser, no
codec needed)."""

from __future__ import annotations

import html
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

from cribwatch.io import OUTPUT_MARK, atomic_path
from cribwatch.rollover.api import RolloverDetector
from cribwatch.rollover.report import DemoConfig, draw_keypoints
from cribwatch.rollover.synth import SynthConfig, generate


@dataclass(frozen=True)
class ClipConfig:
    """What :func:`rollover_clip` draws."""

    before_s: float = 3.0
    """Seconds shown before the first true roll to prone."""
    after_s: float = 4.0
    """Seconds shown after it (the alert comes a moment later)."""
    step: int = 2
    """Every ``step``-th frame of the 15 fps sequence (7.5 fps animation)."""
    width: int = 320
    """Width of the animation in pixels (height follows the sequence's aspect)."""


@dataclass(frozen=True)
class ClipResult:
    """What :func:`rollover_clip` wrote and found."""

    path: Path
    frames: int
    start_s: float
    end_s: float
    roll_s: float | None
    """Time of the first true roll to prone (None: the sequence has none)."""
    alert_s: float | None
    """Time of the first roll-over alert (None: none)."""

    def figure(self, rel: str) -> str:
        """The HTML figure showing the animation (``rel``: its path relative to the page)."""
        cap = f"animated: t={self.start_s:.1f}-{self.end_s:.1f} s"
        if self.roll_s is not None:
            cap += f", true roll to prone at {self.roll_s:.1f} s"
        if self.alert_s is not None:
            cap += f", alert at {self.alert_s:.1f} s"
        src = html.escape(rel, quote=True)
        return (
            f'<figure class="clip"><img src="{src}" style="width:320px" '
            f'alt="roll-over animation"><figcaption>{html.escape(cap)}</figcaption></figure>'
        )


def rollover_clip(out_path: str | os.PathLike[str], demo: DemoConfig | None = None,
                  config: ClipConfig | None = None) -> ClipResult:  # fmt: skip
    """Write the animated GIF of the demo sequence's first roll to prone to ``out_path``."""
    demo = demo or DemoConfig()
    cfg = config or ClipConfig()
    scfg = SynthConfig(seq_s=demo.seq_s, arm_pass_per_hour=40.0, cover_per_hour=40.0)
    seq, truth = generate(demo.seed, scfg)
    det = RolloverDetector(method="both").run(seq.t, seq.kp)
    rolls = [tt for tt, e in truth if e == "to_prone"]
    roll = rolls[0] if rolls else None
    centre = roll if roll is not None else float(seq.t[seq.n // 2])
    alerts = [e.time for e in det.events if e.kind == "alert"]
    alert = next((a for a in alerts if a >= centre - cfg.before_s), alerts[0] if alerts else None)
    i0 = max(0, int((centre - cfg.before_s) * seq.fps))
    i1 = min(seq.n, int((centre + cfg.after_s) * seq.fps) + 1)
    scale = cfg.width / seq.width
    size = (cfg.width, max(1, int(round(seq.height * scale))))
    frames: list[Image.Image] = []
    for i in range(i0, i1, max(1, cfg.step)):
        canvas = np.full((seq.height, seq.width, 3), 0.12, dtype=np.float32)
        img = draw_keypoints(canvas, seq.kp[i])
        pil = Image.fromarray((np.clip(img, 0, 1) * 255).astype(np.uint8)).resize(size)
        d = ImageDraw.Draw(pil)
        t = float(seq.t[i])
        d.text((6, 4), f"t={t:5.1f}s  truth {seq.posture[i]}", fill=(255, 255, 255))
        d.text((6, 18), f"seen {det.postures[i]}", fill=(120, 200, 255))
        if alert is not None and alert <= t < alert + 2.0:
            d.rectangle([0, 0, size[0] - 1, size[1] - 1], outline=(230, 40, 40), width=4)
            d.text((6, size[1] - 18), "ALERT: rolled to prone", fill=(255, 80, 80))
        frames.append(pil.convert("P", palette=Image.Palette.ADAPTIVE, colors=64))
    path = Path(out_path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(path) as tmp:
        frames[0].save(
            tmp, format="GIF", save_all=True, append_images=frames[1:], loop=0,
            duration=int(round(1000 * max(1, cfg.step) / seq.fps)), comment=OUTPUT_MARK,
        )  # fmt: skip
    return ClipResult(path, len(frames), float(seq.t[i0]), float(seq.t[i1 - 1]), roll, alert)
