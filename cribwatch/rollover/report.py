"""Demo-report section for roll-over detection (``demo_section``), from the package alone.

Shows: the real estimator (MediaPipe) on a real photo shipped with scikit-image, upright and
as a night frame rotated to a lying orientation, with keypoints drawn; a rendered synthetic
sequence (keypoint skeletons over time); its posture timeline (ground truth, per-frame rules,
learned classifier, smoothed state) and the events and alerts it raised.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from matplotlib.figure import Figure
from PIL import Image, ImageDraw

from cribwatch.errors import CribwatchError
from cribwatch.io import atomic_path, write_image
from cribwatch.rollover.api import RolloverDetector
from cribwatch.rollover.events import Event
from cribwatch.rollover.pose import SKELETON, MediaPipeBackend, MediaPipeConfig
from cribwatch.rollover.synth import SynthConfig, generate
from cribwatch.sim.night import simulate_night


@dataclass(frozen=True)
class DemoConfig:
    """What the demo section shows."""

    seed: int = 21
    """Seed of the synthetic sequence."""
    seq_s: float = 90.0
    """Length of the synthetic sequence."""
    frames_shown: int = 6
    """Skeleton snapshots drawn from the sequence."""
    night_seed: int = 3
    """Night-simulator seed for the real-photo example."""


def draw_keypoints(img: np.ndarray, kp: np.ndarray, thr: float = 0.5) -> np.ndarray:
    """Draw COCO-17 keypoints and bones on a float RGB (or grey) image; returns RGB float."""
    base = img if img.ndim == 3 else np.repeat(img[:, :, None], 3, axis=2)
    pil = Image.fromarray((np.clip(base, 0, 1) * 255).astype(np.uint8))
    d = ImageDraw.Draw(pil)
    r = max(2, int(round(max(pil.size) / 160)))
    for a, b in SKELETON:
        if kp[a, 2] >= thr and kp[b, 2] >= thr:
            d.line([tuple(kp[a, :2]), tuple(kp[b, :2])], fill=(80, 220, 255), width=r)
    for i, (x, y, s) in enumerate(kp):
        if s < thr:
            continue
        # left joints orange, right joints green, nose white
        col = (255, 255, 255) if i == 0 else ((255, 150, 40) if i % 2 == 1 else (60, 230, 90))
        d.ellipse([x - r, y - r, x + r, y + r], fill=col)
    return np.asarray(pil, dtype=np.float32) / 255.0


def _fig(out: Path, rel: str, img: np.ndarray, caption: str) -> str:
    write_image(out / rel, img)
    cap = html.escape(caption)
    return f'<figure><img src="{rel}" alt="{cap}"><figcaption>{cap}</figcaption></figure>'


def _real_photo(out: Path, cfg: DemoConfig) -> str:
    import skimage.data  # extra: rollover (the photo serves the pose estimator only)

    rgb = skimage.data.astronaut().astype(np.float32) / 255.0
    night, _ = simulate_night(rgb, cfg.night_seed)
    lying = np.ascontiguousarray(np.rot90(night, 1))
    backend = MediaPipeBackend(MediaPipeConfig(static_image_mode=True))
    try:
        kp_day = backend.process((rgb * 255).round().astype(np.uint8))
        u8 = (np.clip(lying, 0, 1) * 255).round().astype(np.uint8)
        kp_night = backend.process(np.repeat(u8[:, :, None], 3, axis=2))
    finally:
        backend.close()
    n_day = int((kp_day[:, 2] >= 0.5).sum())
    n_night = int((kp_night[:, 2] >= 0.5).sum())
    return _fig(
        out, "img/rollover_photo_day.png", draw_keypoints(rgb, kp_day),
        f"MediaPipe, clean photo: {n_day}/17 keypoints",
    ) + _fig(
        out, "img/rollover_photo_night.png", draw_keypoints(lying, kp_night),
        f"night simulator, rotated 90 deg: {n_night}/17",
    )  # fmt: skip


def _timeline(
    out: Path, rel: str, t: np.ndarray, rows: dict[str, list[str]], events: Sequence[Event]
) -> None:
    order = ["supine", "side_left", "side_right", "prone", "unknown"]
    fig = Figure(figsize=(11, 3.2), dpi=90)
    ax = fig.subplots()
    for k, (name, labels) in enumerate(rows.items()):
        y = np.array([order.index(x) if x in order else 4 for x in labels], dtype=float)
        ax.plot(t, y + 0.08 * k, lw=1.2, label=name, drawstyle="steps-post")
    for e in events:
        if e.kind == "alert":
            ax.axvline(e.time, color="red", lw=1, alpha=0.6)
            ax.text(e.time, 4.3, e.event, rotation=90, fontsize=7, color="red", va="top")
    ax.set_yticks(range(5), order)
    ax.set_xlabel("time (s)")
    ax.set_ylim(-0.5, 4.6)
    ax.legend(loc="upper left", fontsize=7, ncol=4)
    fig.tight_layout()
    path = out / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png")


def demo_section(out_dir: Path) -> str:
    """Write the roll-over images under ``out_dir/img`` and return the HTML section."""
    cfg = DemoConfig()
    out = Path(out_dir)
    parts = ["<h2>Roll-over detection</h2>"]
    parts.append(
        "<p>Pose: MediaPipe Pose (model_complexity 1) mapped to COCO-17. Real photo from "
        "scikit-image (NASA, public domain) as the crib camera would see it at night, lying.</p>"
    )
    try:
        parts.append("<div>" + _real_photo(out, cfg) + "</div>")
    except (CribwatchError, ImportError) as exc:  # the estimator (extra rollover) is optional
        parts.append(f"<p>(MediaPipe example skipped: {html.escape(str(exc))})</p>")

    scfg = SynthConfig(seq_s=cfg.seq_s, arm_pass_per_hour=40.0, cover_per_hour=40.0)
    seq, truth = generate(cfg.seed, scfg)
    method = "both"
    det = RolloverDetector(method=method).run(seq.t, seq.kp)
    rules = RolloverDetector(method="rules").run(seq.t, seq.kp)
    figs = []
    idx = np.linspace(0, seq.n - 1, cfg.frames_shown + 2)[1:-1].astype(int)
    # frames around the first roll to prone, if any
    rolls = [tt for tt, e in truth if e == "to_prone"]
    if rolls:
        i0 = int(rolls[0] * seq.fps)
        idx = np.clip(i0 + np.linspace(-2.5, 2.5, cfg.frames_shown) * seq.fps, 0, seq.n - 1)
        idx = idx.astype(int)
    for i in idx.tolist():
        canvas = np.full((seq.height, seq.width, 3), 0.12, dtype=np.float32)
        img = draw_keypoints(canvas, seq.kp[i])
        cap = f"t={seq.t[i]:.1f}s truth {seq.posture[i]}, seen {det.postures[i]}"
        figs.append(_fig(out, f"img/rollover_frame{i}.png", img, cap))
    parts.append(
        f"<h3>Synthetic sequence (seed {cfg.seed}, {cfg.seq_s:.0f} s at 15 fps)</h3>"
        "<p>Keypoints as the generator hands them to the detector (noise and misses fitted "
        "to the MediaPipe night measurement; orange = left joints, green = right).</p>"
        "<div>" + "".join(figs) + "</div>"
    )
    _timeline(
        out,
        "img/rollover_timeline.png",
        seq.t,
        {
            "truth": [str(p) for p in seq.posture],
            "rules per frame": rules.raw,
            f"learned+face veto ({method}) per frame": det.raw,
            "tracked state": det.postures,
        },
        det.events,
    )
    parts.append(
        '<figure><img src="img/rollover_timeline.png" style="width:1000px" '
        'alt="posture timeline"><figcaption>posture timeline; red lines are alerts'
        "</figcaption></figure>"
    )
    rows = "".join(
        f"<tr><td>{e.time:.2f}</td><td>{e.kind}</td><td>{html.escape(e.event)}</td>"
        f"<td>{e.confidence:.2f}</td></tr>"
        for e in det.events
    )
    truth_rows = ", ".join(f"{e} at {tt:.1f} s" for tt, e in truth if e == "to_prone")
    parts.append(
        f"<h3>Events and alerts ({method} classifier)</h3><p>Ground-truth rolls to prone: "
        f"{html.escape(truth_rows) or 'none'}.</p>"
        "<table><tr><th>time (s)</th><th>kind</th><th>event</th><th>confidence</th></tr>"
        f"{rows}</table>"
        "<p>Measured numbers and the commands that produce them: docs/results/rollover.md "
        "(rollover section).</p>"
    )
    return "\n".join(parts)
