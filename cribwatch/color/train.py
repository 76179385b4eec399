"""Training of the colorization network (:mod:`cribwatch.color.model`), DDP-ready.

``cribwatch color train --data DIR --out W.pt --steps N --minutes M --seed S
[--no-attention] [--no-reference] [--resume]``

Data: a pair set from ``cribwatch color make-pairs``; each pair's ``reference.png``,
``target.png`` and ``mask.png`` are loaded once into memory (uint8). Every sample is drawn
fresh (augmentation that matters for night frames):

- a random crop of the pair (``crop`` of each side, independent, so aspect ratio jitters) and a
  horizontal flip, the same for reference and target;
- a small misalignment: the reference's crop is shifted by up to ``misalign`` of the crop
  size (a camera that moved a little between day and night);
- the night frame is **re-simulated** from the cropped target with freshly drawn night-simulator
  parameters (:func:`cribwatch.sim.night.simulate_night`, training ranges) on every sample;
  the pair's stored ``night.png`` is never used for training;
- then everything is resized (antialiased) to the model resolution.

Step (end to end in torch): :func:`cribwatch.color.model.make_inputs` computes the night L,
the reference Lab and the SSIM map (:func:`cribwatch.color.mask.ssim_attention_map`, torch ops)
inside the step on the whole frame; then the same random ``net_crop`` square (64 of 128) is cut
from every input and the target (the network is fully convolutional; this saves 4x compute on
a small CPU); the network predicts ab; the loss is Huber on normalised ab (pixels in the
pair's changed region weighted by ``changed_weight``) plus ``cf_weight`` times the mean
absolute colourfulness difference (Hasler-Süsstrunk CF, benchmark form, on RGB composed with
the ground truth's L, in units of 100) between prediction and ground truth, which counters the
grey-ish average an L1 loss favours where colour is uncertain.

Schedule: AdamW, linear warm-up then cosine decay over ``steps`` optimizer steps; the step
count (not wall time) defines the run, so the same command and seed give the same weights on
CPU. ``--minutes`` is a wall-clock cap (the checkpoint records where it stopped).

Checkpoints (``--out``, written atomically every ``ckpt_every`` steps and at the end) hold
model, optimizer, step, elapsed time, loss history and every RNG state; ``--resume`` continues
an interrupted run exactly.

Distributed: the same script runs under ``torchrun --nproc_per_node N`` (also multi-node):
when ``WORLD_SIZE`` > 1 it joins the process group (gloo on CPU), wraps the model in
DistributedDataParallel, and each rank draws its own samples (seed + rank); ``batch`` is per
rank. Rank 0 writes the checkpoint; BatchNorm buffers are broadcast from rank 0 at the end so
every rank holds identical weights.
"""

from __future__ import annotations

import math
import os
import sys
import time
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.distributed as dist
import torch.nn.functional as F
import typer
from PIL import Image
from torch import Tensor, nn

from cribwatch.color.lab import AB_SCALE, compose, rgb_to_lab_t
from cribwatch.color.mask import SSIMMapConfig
from cribwatch.color.model import (
    ColorNet,
    ColorNetConfig,
    config_dict,
    config_from_dict,
    count_macs,
    count_params,
    make_inputs,
)
from cribwatch.sim.night import NightRanges, render_night, sample_params
from cribwatch.errors import CribwatchError
from cribwatch.io import atomic_path

CKPT_FORMAT = "cribwatch-colornet"
CKPT_VERSION = 1


@dataclass(frozen=True)
class TrainConfig:
    """Every tunable of a training run, with its default."""

    steps: int = 2000
    """Optimizer steps (defines the run and the learning-rate schedule)."""
    minutes: float = 90.0
    """Wall-clock cap in minutes (training stops early, checkpointed, when it is reached)."""
    batch: int = 16
    """Samples per step (per rank under DDP)."""
    lr: float = 3e-3
    """Peak learning rate (AdamW)."""
    weight_decay: float = 1e-4
    """AdamW weight decay."""
    warmup: int = 50
    """Linear warm-up steps."""
    seed: int = 0
    """Seed of weights init and of every random draw (rank r uses seed + 1000 r for data)."""
    huber_delta: float = 0.05
    """Huber loss transition point (normalised ab units)."""
    changed_weight: float = 2.0
    """Loss weight of pixels in the pair's changed region (1 elsewhere)."""
    cf_weight: float = 0.5
    """Weight of the colourfulness term |CF(pred) - CF(gt)| / 100 (0 disables)."""
    gate_weight: float = 0.0
    """Weight of the gate term, a balanced cross-entropy: mean ``-log(1 - gate)`` over the
    pair's changed pixels (the generator knows where the scene changed; the reference-copy gate
    must be shut there) plus mean ``-log(gate)`` over unchanged pixels whose SSIM map lets the
    gate open fully (there the reference's colour is right)."""
    own_weight: float = 0.0
    """Weight of the Huber term of the network's own ab (before the gate) on the changed
    pixels: the colour predicted from the night frame is what fills changed regions."""
    crop: tuple[float, float] = (0.7, 1.0)
    """Crop side as a fraction of the frame side (drawn per side)."""
    misalign: float = 0.03
    """Maximum reference shift as a fraction of the crop side."""
    flip: bool = True
    """Random horizontal flips."""
    net_crop: int = 64
    """The network trains on random ``net_crop`` squares of the model-resolution inputs (the
    SSIM map is computed on the whole frame first); 0 = whole frames. Saves 4x compute."""
    channels_last: bool = True
    """Run the network in channels-last memory format (about 30% faster on CPU)."""
    ckpt_every: int = 100
    """Steps between checkpoints."""
    log_every: int = 25
    """Steps between loss-history entries."""
    threads: int = 1
    """torch intra-op threads per process."""


# ---------------------------------------------------------------------------------------------
# Data


class PairSampler:
    """Pairs of a set in memory, and fresh augmented samples from them."""

    def __init__(
        self, data: Path, size: int, cfg: TrainConfig, ranges: NightRanges | None = None
    ) -> None:
        from cribwatch.color.pairs import load_pair_set

        pairs = [p for p in load_pair_set(Path(data)) if p.target is not None]
        if not pairs:
            raise CribwatchError(f"{data}: no pairs with a target.png (ground truth) to train on")
        self.size, self.cfg = size, cfg
        self.ranges = ranges or NightRanges()
        self.refs: list[np.ndarray] = []
        self.targets: list[np.ndarray] = []
        self.masks: list[np.ndarray] = []
        for p in pairs:
            ref = _load_u8(p.reference, "RGB")
            tgt = _load_u8(p.target, "RGB")  # type: ignore[arg-type]
            if ref.shape != tgt.shape:
                raise CribwatchError(f"{p.dir}: reference and target differ in size")
            mask = (
                _load_u8(p.mask, "L") if p.mask is not None else np.zeros(tgt.shape[:2], np.uint8)
            )
            self.refs.append(ref)
            self.targets.append(tgt)
            self.masks.append(mask)

    def __len__(self) -> int:
        return len(self.refs)

    def sample(self, rng: np.random.Generator) -> tuple[np.ndarray, ...]:
        """One augmented sample: night (S,S), reference (S,S,3), target (S,S,3), mask (S,S)."""
        c = self.cfg
        i = int(rng.integers(len(self.refs)))
        ref, tgt, mask = self.refs[i], self.targets[i], self.masks[i]
        h, w = tgt.shape[:2]
        ch = max(8, round(h * rng.uniform(*c.crop)))
        cw = max(8, round(w * rng.uniform(*c.crop)))
        y0 = int(rng.integers(0, h - ch + 1))
        x0 = int(rng.integers(0, w - cw + 1))
        dy = round(rng.uniform(-c.misalign, c.misalign) * ch)
        dx = round(rng.uniform(-c.misalign, c.misalign) * cw)
        ry0 = min(max(y0 + dy, 0), h - ch)
        rx0 = min(max(x0 + dx, 0), w - cw)
        t = tgt[y0 : y0 + ch, x0 : x0 + cw].astype(np.float32) / 255.0
        r = ref[ry0 : ry0 + ch, rx0 : rx0 + cw].astype(np.float32) / 255.0
        m = mask[y0 : y0 + ch, x0 : x0 + cw].astype(np.float32) / 255.0
        if c.flip and rng.uniform() < 0.5:
            t, r, m = t[:, ::-1], r[:, ::-1], m[:, ::-1]
        t, r, m = np.ascontiguousarray(t), np.ascontiguousarray(r), np.ascontiguousarray(m)
        night = render_night(t, sample_params(rng, self.ranges), rng)
        s = self.size
        return _rs(night, s), _rs(r, s), _rs(t, s), _rs(m, s)

    def batch(self, rng: np.random.Generator, n: int) -> tuple[Tensor, Tensor, Tensor, Tensor]:
        """A batch: night (B,1,S,S), reference (B,3,S,S), target (B,3,S,S), mask (B,1,S,S)."""
        samples = [self.sample(rng) for _ in range(n)]
        night = torch.from_numpy(np.stack([s[0] for s in samples]))[:, None]
        ref = torch.from_numpy(np.stack([s[1] for s in samples])).permute(0, 3, 1, 2)
        tgt = torch.from_numpy(np.stack([s[2] for s in samples])).permute(0, 3, 1, 2)
        mask = torch.from_numpy(np.stack([s[3] for s in samples]))[:, None]
        return night.contiguous(), ref.contiguous(), tgt.contiguous(), mask.contiguous()


def _load_u8(path: Path, mode: str) -> np.ndarray:
    try:
        with Image.open(path) as im:
            return np.asarray(im.convert(mode), dtype=np.uint8)
    except (OSError, ValueError) as exc:
        raise CribwatchError(f"{path}: not a readable image ({exc})") from exc


def _rs(img: np.ndarray, s: int) -> np.ndarray:
    """Antialiased bilinear resize of a float image (H, W[, C]) to (s, s) via PIL float planes."""
    if img.ndim == 3:
        return np.stack([_rs(img[..., k], s) for k in range(img.shape[2])], axis=2)
    if img.shape == (s, s):
        return img.astype(np.float32)
    out = Image.fromarray(img.astype(np.float32), "F").resize((s, s), Image.Resampling.BILINEAR)
    return np.clip(np.asarray(out, dtype=np.float32), 0.0, 1.0)


# ---------------------------------------------------------------------------------------------
# Loss


def colorfulness_t(rgb: Tensor) -> Tensor:
    """Per-image colourfulness (Hasler-Süsstrunk M3, benchmark form) of ``(B, 3, H, W)`` RGB in
    [0, 1], on the 0-255 scale, differentiable (the torch twin of ``metrics.colorfulness``)."""
    x = rgb * 255.0
    r, g, b = x[:, 0], x[:, 1], x[:, 2]
    rg = (r - g).abs().flatten(1)
    yb = (0.5 * (r + g) - b).abs().flatten(1)
    std = (rg.var(dim=1, unbiased=False) + yb.var(dim=1, unbiased=False) + 1e-6).sqrt()
    mean = (rg.mean(dim=1) ** 2 + yb.mean(dim=1) ** 2 + 1e-6).sqrt()
    return std + 0.3 * mean


def loss_terms(
    pred_ab: Tensor,
    target: Tensor,
    mask: Tensor,
    cfg: TrainConfig,
    own_ab: Tensor | None = None,
    gate: Tensor | None = None,
    gate_may_open: Tensor | None = None,
) -> tuple[Tensor, dict[str, float]]:
    """Training loss of normalised ``pred_ab`` against the ``target`` RGB; returns (loss, parts).

    ``own_ab`` and ``gate`` (the network's parts) enable the ``own_weight`` and ``gate_weight``
    terms on the changed pixels ``mask``; ``gate_may_open`` (1 where the SSIM map lets the gate
    open fully, else 0) marks the unchanged pixels where the gate term asks for an open gate."""
    lab = rgb_to_lab_t(target)
    gt_ab = lab[:, 1:] / AB_SCALE
    weight = 1.0 + (cfg.changed_weight - 1.0) * mask
    hub = F.huber_loss(pred_ab, gt_ab, reduction="none", delta=cfg.huber_delta) / cfg.huber_delta
    ab_loss = (hub * weight).sum() / (weight.sum() * 2)
    loss = ab_loss
    parts = {"ab": float(ab_loss.detach())}
    n_changed = mask.sum() + 1.0
    if cfg.own_weight > 0 and own_ab is not None:
        own = F.huber_loss(own_ab, gt_ab, reduction="none", delta=cfg.huber_delta)
        own_loss = (own / cfg.huber_delta * mask).sum() / (n_changed * 2)
        loss = loss + cfg.own_weight * own_loss
        parts["own"] = float(own_loss.detach())
    if cfg.gate_weight > 0 and gate is not None:
        gate_loss = (-torch.log1p(-gate.clamp(max=1.0 - 1e-4)) * mask).sum() / n_changed
        if gate_may_open is not None:
            keep = (1.0 - mask) * gate_may_open
            gate_loss = gate_loss + (-torch.log(gate.clamp(min=1e-4)) * keep).sum() / (
                keep.sum() + 1.0
            )
        loss = loss + cfg.gate_weight * gate_loss
        parts["gate"] = float(gate_loss.detach())
    if cfg.cf_weight > 0:
        rgb = compose(lab[:, :1], pred_ab * AB_SCALE)
        cf = (colorfulness_t(rgb) - colorfulness_t(target)).abs().mean() / 100.0
        loss = loss + cfg.cf_weight * cf
        parts["cf"] = float(cf.detach())
    return loss, parts


def _crop_all(
    tensors: list[Tensor | None], crop: int, rng: np.random.Generator, channels_last: bool
) -> list[Any]:
    """The same random ``crop`` square per sample from every (B, C, S, S) tensor (None kept)."""
    ref = next(t for t in tensors if t is not None)
    b, s = int(ref.shape[0]), int(ref.shape[-1])
    out: list[Any] = list(tensors)
    if 0 < crop < s:
        ys = rng.integers(0, s - crop + 1, size=b)
        xs = rng.integers(0, s - crop + 1, size=b)
        out = [
            None
            if t is None
            else torch.stack(
                [t[i, :, ys[i] : ys[i] + crop, xs[i] : xs[i] + crop] for i in range(b)]
            )
            for t in tensors
        ]
    if channels_last:
        out = [None if t is None else t.contiguous(memory_format=torch.channels_last) for t in out]
    return out


def lr_at(step: int, cfg: TrainConfig) -> float:
    """Learning rate at ``step`` (0-based): linear warm-up, then cosine to 2% of the peak."""
    if step < cfg.warmup:
        return cfg.lr * (step + 1) / cfg.warmup
    t = (step - cfg.warmup) / max(1, cfg.steps - cfg.warmup)
    return cfg.lr * (0.02 + 0.98 * 0.5 * (1 + math.cos(math.pi * min(t, 1.0))))


# ---------------------------------------------------------------------------------------------
# Distributed helpers


def _dist_env() -> tuple[int, int]:
    world = int(os.environ.get("WORLD_SIZE", "1"))
    rank = int(os.environ.get("RANK", "0"))
    return rank, world


def _setup_dist() -> tuple[int, int]:
    rank, world = _dist_env()
    if world > 1 and not dist.is_initialized():
        dist.init_process_group(backend="gloo")
    return rank, world


# ---------------------------------------------------------------------------------------------
# Checkpoints


def save_checkpoint(path: Path, state: dict[str, Any]) -> None:
    """Write a checkpoint atomically (temporary file beside ``path``, then rename)."""
    with atomic_path(path) as tmp:
        torch.save(state, tmp)


def load_checkpoint(path: Path) -> dict[str, Any]:
    """Read a checkpoint written by :func:`save_checkpoint`; bad files raise CribwatchError."""
    p = Path(path)
    if not p.is_file():
        raise CribwatchError(f"{p}: checkpoint not found")
    try:
        state = torch.load(p, map_location="cpu", weights_only=False)
    except Exception as exc:  # noqa: BLE001 - any unpickling failure is bad input
        raise CribwatchError(f"{p}: not a readable checkpoint ({exc})") from exc
    if not isinstance(state, dict) or state.get("format") != CKPT_FORMAT:
        raise CribwatchError(f"{p}: not a cribwatch colour-network checkpoint")
    return state


def _unwrap(model: nn.Module) -> ColorNet:
    m = model.module if isinstance(model, nn.parallel.DistributedDataParallel) else model
    assert isinstance(m, ColorNet)
    return m


# ---------------------------------------------------------------------------------------------
# Training


def train(
    data: Path,
    out: Path,
    cfg: TrainConfig,
    net_cfg: ColorNetConfig | None = None,
    *,
    resume: bool = False,
    progress: bool = True,
    ssim_cfg: SSIMMapConfig | None = None,
    command: str | None = None,
    stop_after: int | None = None,
) -> dict[str, Any]:
    """Train (or resume) a :class:`ColorNet` on the pair set ``data``; returns the final
    checkpoint dict (also written to ``out`` by rank 0). ``stop_after`` ends this invocation
    after that many steps, as an interruption would (tests of ``resume``)."""
    torch.set_num_threads(cfg.threads)
    rank, world = _setup_dist()
    out = Path(out)
    state: dict[str, Any] | None = load_checkpoint(out) if resume else None
    if resume and state is not None:
        net_cfg = config_from_dict(state["config"])
        ssim_cfg = SSIMMapConfig(**state["ssim_config"])
        old = dict(state["train_config"])
        old["crop"] = tuple(old["crop"])
        cfg = replace(TrainConfig(**old), minutes=cfg.minutes, threads=cfg.threads)
    net_cfg = net_cfg or ColorNetConfig()
    ssim_cfg = ssim_cfg or SSIMMapConfig(work_side=net_cfg.size)

    torch.manual_seed(cfg.seed)
    model = ColorNet(net_cfg)
    opt = torch.optim.AdamW(model.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
    rng = np.random.default_rng(cfg.seed + 1000 * rank)
    step, elapsed, history = 0, 0.0, []
    if state is not None:
        model.load_state_dict(state["model"])
        opt.load_state_dict(state["optimizer"])
        step, elapsed, history = (
            int(state["step"]),
            float(state["elapsed_s"]),
            list(state["history"]),
        )
        if len(state["rng"]) != world:
            raise CribwatchError(
                f"{out}: saved with {len(state['rng'])} ranks, resumed with {world}"
            )
        rng.bit_generator.state = state["rng"][rank]
        torch.set_rng_state(state["torch_rng"])
    sampler = PairSampler(data, net_cfg.size, cfg)
    if cfg.channels_last:
        model = model.to(memory_format=torch.channels_last)  # type: ignore[call-overload]
    ddp: nn.Module = model
    if world > 1:
        ddp = nn.parallel.DistributedDataParallel(model)
    ddp.train()
    use_map = net_cfg.reference and net_cfg.attention

    meta = {
        "params": count_params(model),
        "macs": count_macs(model),
        "pairs": len(sampler),
        "world_size": world,
        "command": command,
    }

    def snapshot() -> dict[str, Any]:
        rngs: list[Any] = [rng.bit_generator.state]
        if world > 1:
            gathered: list[Any] = [None] * world
            dist.all_gather_object(gathered, rng.bit_generator.state)
            rngs = gathered
        return {
            "format": CKPT_FORMAT,
            "version": CKPT_VERSION,
            "config": config_dict(net_cfg),
            "ssim_config": asdict(ssim_cfg),
            "train_config": asdict(cfg),
            "model": _unwrap(ddp).state_dict(),
            "optimizer": opt.state_dict(),
            "step": step,
            "elapsed_s": elapsed,
            "history": history,
            "rng": rngs,
            "torch_rng": torch.get_rng_state(),
            "meta": {**meta, "data": str(data), "finished": step >= cfg.steps},
        }

    bar = None
    if progress and rank == 0:
        from tqdm import tqdm

        bar = tqdm(total=cfg.steps, initial=step, file=sys.stderr, unit="step", dynamic_ncols=True)
    t_start = time.monotonic() - elapsed
    acc: dict[str, float] = {}
    acc_n = 0
    first_step = step
    while step < cfg.steps:
        if (time.monotonic() - t_start) / 60.0 >= cfg.minutes:
            break
        if stop_after is not None and step - first_step >= stop_after:
            break
        t0 = time.monotonic()
        for group in opt.param_groups:
            group["lr"] = lr_at(step, cfg)
        night, ref, tgt, mask = sampler.batch(rng, cfg.batch)
        if net_cfg.reference:
            night_l, ref_lab, smap = make_inputs(
                night, ref, net_cfg.size, ssim_cfg, with_map=use_map
            )
        else:
            night_l, ref_lab, smap = make_inputs(night, None, net_cfg.size, ssim_cfg)
        night_l, ref_lab, smap, tgt, mask = _crop_all(
            [night_l, ref_lab, smap, tgt, mask], cfg.net_crop, rng, cfg.channels_last
        )
        pred, own_ab, gate = ddp(night_l, ref_lab, smap, True)
        may_open = (smap >= net_cfg.gate_full_at).to(smap.dtype) if smap is not None else None
        loss, parts = loss_terms(pred, tgt, mask, cfg, own_ab, gate, may_open)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        step += 1
        parts["loss"] = float(loss.detach())
        for k, v in parts.items():
            acc[k] = acc.get(k, 0.0) + v
        acc_n += 1
        if step % cfg.log_every == 0 or step == cfg.steps:
            history.append({"step": step, **{k: v / acc_n for k, v in acc.items()}})
            acc, acc_n = {}, 0
        elapsed = time.monotonic() - t_start
        if bar is not None:
            rate = cfg.batch * world / max(time.monotonic() - t0, 1e-9)
            bar.set_postfix(loss=f"{parts['loss']:.4f}", samples_s=f"{rate:.1f}", refresh=False)
            bar.update(1)
        if step % cfg.ckpt_every == 0 and step < cfg.steps:
            snap = snapshot()
            if rank == 0:
                save_checkpoint(out, snap)
    if bar is not None:
        bar.close()
    if world > 1:
        for buf in model.buffers():
            dist.broadcast(buf, src=0)
    elapsed = time.monotonic() - t_start
    final = snapshot()
    if rank == 0:
        save_checkpoint(out, final)
    if world > 1:
        dist.barrier()
    return final


LICENCES = {
    "scenes": "Debian mate-backgrounds (GPL-2+ / CC-BY-SA), plasma-workspace-wallpapers "
    "(LGPL-3 / CC-BY-SA-4.0), scikit-image data samples (public domain / CC0)",
    "stamps": "Debian tuxpaint-stamps-default (GPL-2+)",
}
"""Licences of the training data the shipped weights were trained on."""


def ship(
    checkpoint: Path,
    out: Path,
    method: str,
    *,
    recipe: dict[str, Any],
    metrics: dict[str, Any] | None = None,
    hardware: str = "2 shared CPU cores, 1 torch thread per run",
) -> dict[str, Any]:
    """Write shipped weights ``out`` (model, configs, history, no optimizer state) from a
    finished training checkpoint, and its JSON card beside it (``out`` with ``.json``)."""
    from cribwatch.io import write_json

    state = load_checkpoint(checkpoint)
    slim = {
        k: state[k]
        for k in ("format", "version", "config", "ssim_config", "train_config", "model", "step")
    }
    slim.update(history=state["history"], meta=state["meta"], elapsed_s=state["elapsed_s"])
    save_checkpoint(out, slim)
    meta = state["meta"]
    tc = state["train_config"]
    card = {
        "method": method,
        "weights": out.name,
        "network": state["config"],
        "ssim_config": state["ssim_config"],
        "params": meta["params"],
        "macs": meta["macs"],
        "macs_counted_by": "torch.utils.flop_counter.FlopCounterMode (FLOPs / 2), 128x128",
        "command": meta.get("command"),
        "seed": tc["seed"],
        "steps": state["step"],
        "finished": bool(meta.get("finished")),
        "minutes": round(float(state["elapsed_s"]) / 60.0, 1),
        "train_config": tc,
        "hardware": hardware,
        "final_loss": state["history"][-1] if state["history"] else None,
        "data": recipe,
        "licences": LICENCES,
        "held_out_metrics": metrics or {},
    }
    write_json(out.with_suffix(".json"), card)
    return card


def train_cmd(
    data: Path = typer.Option(..., "--data", help="Pair set from `cribwatch color make-pairs`."),
    out: Path = typer.Option(..., "--out", help="Checkpoint / weights file to write (.pt)."),
    minutes: float = typer.Option(TrainConfig.minutes, help="Wall-clock cap in minutes."),
    steps: int = typer.Option(TrainConfig.steps, help="Optimizer steps (defines the run)."),
    seed: int = typer.Option(TrainConfig.seed, help="Seed of init and every random draw."),
    no_attention: bool = typer.Option(False, "--no-attention", help="Ablation: no SSIM attention."),
    no_reference: bool = typer.Option(
        False, "--no-reference", help="Automatic mode: no reference."
    ),
    batch: int = typer.Option(TrainConfig.batch, help="Samples per step (per rank)."),
    lr: float = typer.Option(TrainConfig.lr, help="Peak learning rate."),
    cf_weight: float = typer.Option(
        TrainConfig.cf_weight, help="Colourfulness loss weight (0 = off)."
    ),
    changed_weight: float = typer.Option(
        TrainConfig.changed_weight, help="Loss weight of changed pixels."
    ),
    gate_weight: float = typer.Option(
        TrainConfig.gate_weight, help="Weight of the shut-gate term on changed pixels (0 = off)."
    ),
    own_weight: float = typer.Option(
        TrainConfig.own_weight, help="Weight of the own-ab term on changed pixels (0 = off)."
    ),
    gate_full_at: float = typer.Option(
        ColorNetConfig.gate_full_at,
        help="SSIM map value from which the reference-copy gate may open fully.",
    ),
    threads: int = typer.Option(TrainConfig.threads, help="torch threads per process."),
    resume: bool = typer.Option(False, "--resume", help="Continue the run saved in --out."),
    quiet: bool = typer.Option(False, "--quiet", help="No progress bar."),
) -> None:
    """Train the colorization network on a pair set (also under torchrun for DDP)."""
    import json

    cfg = TrainConfig(
        steps=steps,
        minutes=minutes,
        seed=seed,
        batch=batch,
        lr=lr,
        cf_weight=cf_weight,
        changed_weight=changed_weight,
        gate_weight=gate_weight,
        own_weight=own_weight,
        threads=threads,
    )
    if not 0.0 < gate_full_at <= 1.0:
        raise CribwatchError(f"--gate-full-at must be in (0, 1], not {gate_full_at}")
    net_cfg = ColorNetConfig(
        attention=not no_attention, reference=not no_reference, gate_full_at=gate_full_at
    )
    args = sys.argv[3:] if sys.argv[1:3] == ["color", "train"] else sys.argv[1:]
    command = "cribwatch color train " + " ".join(args)
    final = train(data, out, cfg, net_cfg, resume=resume, progress=not quiet, command=command)
    rank, _ = _dist_env()
    if rank == 0:
        last = final["history"][-1] if final["history"] else {}
        typer.echo(
            json.dumps(
                {
                    "out": str(out),
                    "step": final["step"],
                    "finished": final["meta"]["finished"],
                    "minutes": round(final["elapsed_s"] / 60.0, 2),
                    "loss": last.get("loss"),
                    "params": final["meta"]["params"],
                    "macs": final["meta"]["macs"],
                }
            )
        )
    if dist.is_initialized():
        dist.destroy_process_group()


def main() -> None:
    """Entry point for ``torchrun -m cribwatch.color.train ...`` / ``python -m``."""
    app = typer.Typer(add_completion=False, pretty_exceptions_enable=False)
    app.command()(train_cmd)
    try:
        app()
    except CribwatchError as exc:
        print(f"error: {exc.message}", file=sys.stderr)
        sys.exit(2)


if __name__ == "__main__":
    main()
