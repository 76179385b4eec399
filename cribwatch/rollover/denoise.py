"""A learned noise filter for infrared night frames (issue 25, ninth round).

The person is lost at night where the sensor noise is large against the scene's contrast
(docs/results/rollover-night.md: found 77% on the tuning photos' night frames, 92% on the same
draws without noise); median, Gaussian and bilateral filters trade the noise for detail. This is
a small residual CNN (DnCNN-style: ``layers`` 3x3 convolutions of ``channels`` features, ReLU,
predicting the noise) trained on the night simulator (:mod:`cribwatch.sim.night`): the input is
a simulated night frame, the target the same draw without sensor noise and JPEG (the optical
blur kept: it is the scene the lens forms).

It runs on the frame shrunk by ``scale`` (pixel-area averaging), where MoveNet's 192x192 input
sees it anyway, through ONNX Runtime; the result is resized back to the frame's size.

Measured (ninth round): it lowers the validation error of the night frames 5-7x but finds the
person in FEWER tuning frames than the shipped pre-processing (317 against 334 of 432 at full
size, 285 at half size) and raises false presence: trained on scenes without people it smooths
away what the pose model needs. No filter ships; the module stays so that the measurement can
be rerun (``experiments/logs/s6/r25h/train_denoise.py``, ``scan4.py``).

Training (:func:`train_denoiser`, extra ``train``) uses scene photos only (the
``cribwatch data fetch`` wallpapers): no photo of a person, so no tuning or held-out photo.
"""

from __future__ import annotations

import os
import time
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import onnxruntime as ort

from cribwatch import cards
from cribwatch.deploy.export import export_onnx
from cribwatch.deploy.golden import sha256_file
from cribwatch.errors import CribwatchError
from cribwatch.io import atomic_path, read_rgb
from cribwatch.sim.night import render_night, sample_params


@dataclass(frozen=True)
class DenoiseTrainConfig:
    """Settings of :func:`train_denoiser`."""

    channels: int = 12
    """Features per hidden layer."""
    layers: int = 5
    """3x3 convolutions (the first and last included)."""
    scale: float = 0.5
    """The filter runs on the frame shrunk by this factor (1: full size)."""
    side: int = 480
    """Scene photos are resized to this longer side before the night draw (as the pose
    measurement's crops are)."""
    draws: int = 3
    """Night draws per scene photo."""
    patch: int = 64
    """Training patch side (pixels at the filter's scale)."""
    batch: int = 32
    steps: int = 3000
    lr: float = 2e-3
    seed: int = 0


def shrink(g: np.ndarray, scale: float) -> np.ndarray:
    """``g`` shrunk by ``scale`` with pixel-area averaging (unchanged when ``scale`` >= 1)."""
    if scale >= 1.0:
        return g
    h, w = g.shape[:2]
    size = (max(1, round(w * scale)), max(1, round(h * scale)))
    return cv2.resize(g, size, interpolation=cv2.INTER_AREA)


def night_pairs(
    paths: list[Path], cfg: DenoiseTrainConfig
) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """(noisy, clean) float32 grey pairs at the filter's scale: ``draws`` night draws of each
    scene photo, the clean one the same draw without sensor noise and JPEG."""
    noisy: list[np.ndarray] = []
    clean: list[np.ndarray] = []
    for i, p in enumerate(paths):
        src = read_rgb(p).astype(np.float32) / 255.0
        h, w = src.shape[:2]
        f = cfg.side / max(h, w)
        size = (max(1, round(w * f)), max(1, round(h * f)))
        rgb = np.asarray(cv2.resize(src, size, interpolation=cv2.INTER_AREA), np.float32)
        for d in range(cfg.draws):
            rng = np.random.default_rng([cfg.seed, i, d])
            prm = sample_params(rng)
            n = render_night(rgb, prm, rng)
            quiet = replace(prm, photons=1e9, read_noise=0.0, jpeg_quality=None)
            c = render_night(rgb, quiet, np.random.default_rng(0))
            # as the pipeline sees them: 8-bit, then shrunk
            n8 = np.clip(np.rint(n * 255), 0, 255).astype(np.uint8)
            noisy.append(shrink(n8, cfg.scale).astype(np.float32) / 255.0)
            clean.append(shrink(c, cfg.scale).astype(np.float32))
    return noisy, clean


def _model(cfg: DenoiseTrainConfig) -> Any:
    import torch  # extra: train

    ch, n = cfg.channels, cfg.layers
    mods: list[Any] = [torch.nn.Conv2d(1, ch, 3, padding=1), torch.nn.ReLU()]
    for _ in range(n - 2):
        mods += [torch.nn.Conv2d(ch, ch, 3, padding=1), torch.nn.ReLU()]
    mods.append(torch.nn.Conv2d(ch, 1, 3, padding=1))
    body = torch.nn.Sequential(*mods)

    class Residual(torch.nn.Module):  # type: ignore[misc]
        def __init__(self) -> None:
            super().__init__()
            self.body = body

        def forward(self, x: Any) -> Any:
            return x - self.body(x)

    return Residual()


def train_denoiser(
    scenes: list[Path], out: str | os.PathLike[str], cfg: DenoiseTrainConfig | None = None,
    val_scenes: list[Path] | None = None,
) -> dict[str, Any]:  # fmt: skip
    """Train the filter on night draws of ``scenes``; write ``out`` (ONNX) and its card.
    Returns the card (with the validation error on ``val_scenes`` when given)."""
    import torch  # extra: train

    c = cfg or DenoiseTrainConfig()
    if not scenes:
        raise CribwatchError("train_denoiser: no scene photos")
    t0 = time.time()
    torch.manual_seed(c.seed)
    noisy, clean = night_pairs(scenes, c)
    rng = np.random.default_rng(c.seed)
    model = _model(c)
    opt = torch.optim.Adam(model.parameters(), lr=c.lr)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, c.steps)
    usable = [i for i, a in enumerate(noisy) if min(a.shape) >= c.patch]
    if not usable:
        raise CribwatchError(f"train_denoiser: no photo has {c.patch}-pixel patches")
    loss_v = 0.0
    for _ in range(c.steps):
        xs, ys = [], []
        for _ in range(c.batch):
            i = usable[int(rng.integers(len(usable)))]
            h, w = noisy[i].shape
            y0, x0 = int(rng.integers(h - c.patch + 1)), int(rng.integers(w - c.patch + 1))
            xs.append(noisy[i][y0 : y0 + c.patch, x0 : x0 + c.patch])
            ys.append(clean[i][y0 : y0 + c.patch, x0 : x0 + c.patch])
        x = torch.from_numpy(np.stack(xs)[:, None])
        y = torch.from_numpy(np.stack(ys)[:, None])
        loss = torch.nn.functional.l1_loss(model(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        sched.step()
        loss_v = float(loss.item())
    model.eval()
    info: dict[str, Any] = {"train_l1_last_batch": round(loss_v, 5)}
    if val_scenes:
        vn, vc = night_pairs(val_scenes, replace(c, seed=c.seed + 1))
        with torch.no_grad():
            err = [
                float(np.abs(model(torch.from_numpy(a[None, None]))[0, 0].numpy() - b).mean())
                for a, b in zip(vn, vc, strict=True)
            ]
        info["val_l1"] = round(float(np.mean(err)), 5)
        info["val_l1_unfiltered"] = round(
            float(np.mean([np.abs(a - b).mean() for a, b in zip(vn, vc, strict=True)])), 5
        )
    path = Path(out)
    export_onnx(
        model, (torch.zeros(1, 1, 64, 64),), path, input_names=["night"], output_names=["clean"],
        dynamic_batch=False,
    )  # fmt: skip
    # any frame size: the spatial axes are dynamic
    import onnx  # extra: train

    m = onnx.load(str(path))
    for v in (m.graph.input[0], m.graph.output[0]):
        dims = v.type.tensor_type.shape.dim
        dims[2].dim_param, dims[3].dim_param = "height", "width"
    with atomic_path(path) as tmp:
        onnx.save(m, str(tmp))
    card = _card(c, path, scenes, info, time.time() - t0)
    cards.write_card(cards.card_path(path), card)
    return card


def _card(
    c: DenoiseTrainConfig, path: Path, scenes: list[Path], info: dict[str, Any], secs: float
) -> dict[str, Any]:
    return {
        "capability": "rollover",
        "model": "noise filter for IR night frames before pose (residual CNN, DnCNN-style)",
        "weights": path.name,
        "architecture": {
            "type": "residual-cnn-denoiser",
            "channels": c.channels,
            "layers": c.layers,
            "scale": c.scale,
            "input": "float32 grey in [0, 1], (1, 1, H, W), the frame shrunk by 'scale'",
            "runtime": "ONNX Runtime (CPU)",
        },
        "training": {
            "by": "cribwatch (cribwatch.rollover.denoise.train_denoiser)",
            "config": asdict(c),
            "data": f"{len(scenes)} scene photos (`cribwatch data fetch`'s data/scenes: Debian "
            "mate-backgrounds and plasma-workspace-wallpapers), "
            "night-simulated (cribwatch.sim.night); no photo of a person",
            "seconds": round(secs, 1),
            **info,
        },
        "licences": {
            "model": "Apache-2.0 (cribwatch)",
            "data": "mate-backgrounds: GPL-2+ / CC-BY-SA (its Debian copyright file); "
            "plasma-workspace-wallpapers: LGPL-3 / CC-BY-SA-4.0 (per wallpaper); training only, "
            "not shipped",
        },
        "sha256": {path.name: sha256_file(path)},
    }


class Denoiser:
    """A trained noise filter: grey uint8 (H, W) -> grey uint8 (H, W).

    Args:
        path: the ONNX file written by :func:`train_denoiser`; its card gives the scale.
        threads: ONNX Runtime threads.
    """

    def __init__(self, path: str | os.PathLike[str], threads: int = 1) -> None:
        p = Path(path)
        if not p.is_file():
            raise CribwatchError(f"{p}: noise filter not found")
        card = cards.read_card(cards.card_path(p), "rollover")
        self.scale = float(card["architecture"]["scale"])
        so = ort.SessionOptions()
        so.intra_op_num_threads = threads
        self._sess = ort.InferenceSession(str(p), so, providers=["CPUExecutionProvider"])
        self._name = self._sess.get_inputs()[0].name

    def __call__(self, grey: np.ndarray) -> np.ndarray:
        g = np.asarray(grey)
        if g.ndim != 2 or g.dtype != np.uint8:
            raise CribwatchError(
                f"noise filter input must be uint8 (H, W), not {g.dtype} {g.shape}"
            )
        small = shrink(g, self.scale).astype(np.float32) / 255.0
        out = self._sess.run(None, {self._name: small[None, None]})[0][0, 0]
        u8 = np.clip(np.rint(out * 255.0), 0, 255).astype(np.uint8)
        if u8.shape != g.shape:
            u8 = cv2.resize(u8, (g.shape[1], g.shape[0]), interpolation=cv2.INTER_LINEAR)
        return u8
