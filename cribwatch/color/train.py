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

Distributed: the same verb runs under
``torchrun --nproc_per_node N -m cribwatch.cli color train ...`` (also multi-node): when
``WORLD_SIZE`` > 1 it joins the process group (gloo on CPU), wraps the model in
DistributedDataParallel, and each rank draws its own samples (seed + rank); ``batch`` is per
rank. Rank 0 writes the checkpoint; BatchNorm buffers are broadcast from rank 0 at the end so
every rank holds identical weights.
"""

from __future__ import annotations

import hashlib
import math
import os
import time
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import torch
import torch.distributed as dist
import torch.nn.functional as F
from PIL import Image
from torch import Tensor, nn

from cribwatch.cards import (
    CARD_FORMAT,
    CARD_VERSION,
    card_path,
    from_mapping,
    validate_card,
    write_card,
)
from cribwatch.color.checkpoint import CKPT_FORMAT, CKPT_VERSION, load_checkpoint, save_checkpoint
from cribwatch.color.config import TrainConfig
from cribwatch.color.evidence import Logistic
from cribwatch.color.lab import AB_SCALE, compose, rgb_to_lab_t
from cribwatch.color.mask import SSIMMapConfig
from cribwatch.color.model import (
    ColorNet,
    ColorNetConfig,
    config_dict,
    count_macs,
    count_params,
    evidence_inputs,
    make_inputs,
)
from cribwatch.color.pairs import load_pair_set
from cribwatch.errors import CribwatchError
from cribwatch.progress import Progress, report
from cribwatch.sim.night import NightRanges, render_night, sample_params

__all__ = [
    "CKPT_FORMAT",
    "ChangeConfig",
    "CKPT_VERSION",
    "PairSampler",
    "TrainConfig",
    "change_terms",
    "load_checkpoint",
    "loss_terms",
    "lr_at",
    "save_checkpoint",
    "ship",
    "train",
]


# ---------------------------------------------------------------------------------------------
# Data


class PairSampler:
    """Pairs of a set in memory, and fresh augmented samples from them."""

    def __init__(
        self, data: Path, size: int, cfg: TrainConfig, ranges: NightRanges | None = None
    ) -> None:
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
# Where the scene changed (issue 26): terms of a fine-tune


@dataclass(frozen=True)
class ChangeConfig:
    """Terms that teach the gate and the chroma where the scene changed (issue 26), for a
    fine-tune of a trained network (:func:`train`'s ``init``); all off by default.

    The generator knows where each pair's scene changed (``mask.png``). There the night frame
    does not tell the new colour (held-out stamps and recoloured blobs have arbitrary hues) and
    CIEDE2000 charges a wrong hue more than a muted one, yet on the 200 training pairs a
    network learns the colours of the training stamps it sees again and again. So the
    changed pixels' colour target is muted (``changed_chroma``), the gate is asked to shut
    there (``gate_close``), and on unchanged pixels the fine-tuned network is held to the
    teacher's output and gate (``static_distil``), so its static colour and colourfulness
    stay where they were."""

    BOUNDS: ClassVar[dict[str, tuple[float | None, float | None]]] = {
        "changed_chroma": (0, 1),
        "static_distil": (0, 1000),
        "gate_close": (0, 1000),
    }

    changed_chroma: float = 1.0
    """Colour target on changed pixels as a fraction of the truth's ab (1: the truth; 0: grey)."""
    static_distil: float = 0.0
    """Weight of distillation to the teacher on unchanged pixels only: Huber distance of the
    composed ab (units of ``huber_delta``) plus the absolute gate difference (needs a teacher)."""
    gate_close: float = 0.0
    """Weight of the mean ``-log(1 - gate)`` over changed pixels."""


def change_terms(
    pred: Tensor,
    gate: Tensor | None,
    mask: Tensor,
    change: ChangeConfig,
    t_pred: Tensor | None,
    t_gate: Tensor | None,
    delta: float,
) -> tuple[Tensor, dict[str, float]]:
    """The :class:`ChangeConfig` terms other than the muted target (see :func:`loss_terms`):
    distillation on unchanged pixels and the shut-gate term on changed ones."""
    loss = pred.new_zeros(())
    parts: dict[str, float] = {}
    keep = 1.0 - mask
    if change.static_distil > 0 and t_pred is not None:
        hub = F.huber_loss(pred, t_pred, reduction="none", delta=delta) / delta
        d = (hub * keep).sum() / (keep.sum() * 2 + 1.0)
        if gate is not None and t_gate is not None:
            d = d + ((gate - t_gate).abs() * keep).sum() / (keep.sum() + 1.0)
        loss = loss + change.static_distil * d
        parts["static_distil"] = float(d.detach())
    if change.gate_close > 0 and gate is not None:
        g = (-torch.log1p(-gate.clamp(max=1.0 - 1e-4)) * mask).sum() / (mask.sum() + 1.0)
        loss = loss + change.gate_close * g
        parts["gate_close"] = float(g.detach())
    return loss, parts


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
    changed_chroma: float = 1.0,
) -> tuple[Tensor, dict[str, float]]:
    """Training loss of normalised ``pred_ab`` against the ``target`` RGB; returns (loss, parts).

    ``own_ab`` and ``gate`` (the network's parts) enable the ``own_weight`` and ``gate_weight``
    terms on the changed pixels ``mask``; ``gate_may_open`` (1 where the SSIM map lets the gate
    open fully, else 0) marks the unchanged pixels where the gate term asks for an open gate.
    ``changed_chroma`` scales the truth's ab on the changed pixels (the colour target there;
    :class:`ChangeConfig`); the colourfulness term keeps the true target."""
    lab = rgb_to_lab_t(target)
    gt_ab = lab[:, 1:] / AB_SCALE
    if changed_chroma != 1.0:
        gt_ab = gt_ab * (1.0 - (1.0 - changed_chroma) * mask)
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


def distil_loss(
    pred: Tensor, gate: Tensor | None, t_pred: Tensor, t_gate: Tensor | None, delta: float
) -> Tensor:
    """Distillation term: Huber distance (in units of ``delta``) of the student's composed
    normalised ab to the teacher's, plus the mean absolute difference of the two gates."""
    d = F.huber_loss(pred, t_pred, delta=delta) / delta
    if gate is not None and t_gate is not None:
        d = d + (gate - t_gate).abs().mean()
    return d


def load_teacher(path: Path, ssim_cfg: SSIMMapConfig, size: int) -> ColorNet:
    """A trained colour network (weights or checkpoint) as a frozen teacher, in eval mode.
    Its SSIM map settings and model resolution must be the student's (same inputs)."""
    state = load_checkpoint(Path(path))
    cfg = from_mapping(ColorNetConfig, state["config"], f"{path}: config")
    t_ssim = from_mapping(SSIMMapConfig, state["ssim_config"], f"{path}: ssim_config")
    if t_ssim != ssim_cfg or cfg.size != size:
        raise CribwatchError(
            f"{path}: teacher's SSIM map settings or model resolution differ from the student's"
        )
    teacher = ColorNet(cfg)
    teacher.load_state_dict(state["model"])
    teacher.eval()
    for p in teacher.parameters():
        p.requires_grad_(False)
    return teacher


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


def _unwrap(model: nn.Module) -> ColorNet:
    m = model.module if isinstance(model, nn.parallel.DistributedDataParallel) else model
    assert isinstance(m, ColorNet)
    return m


# ---------------------------------------------------------------------------------------------
# Training


@dataclass
class _Run:
    """What one training invocation carries between steps (and into its checkpoints)."""

    data: Path
    cfg: TrainConfig
    net_cfg: ColorNetConfig
    ssim_cfg: SSIMMapConfig
    model: ColorNet
    ddp: nn.Module
    opt: torch.optim.Optimizer
    rng: np.random.Generator
    world: int
    meta: dict[str, Any]
    step: int = 0
    elapsed: float = 0.0
    history: list[dict[str, float]] = field(default_factory=list)
    teacher: ColorNet | None = None
    change: ChangeConfig = field(default_factory=ChangeConfig)
    evidence: Logistic | None = None


def _resumed_configs(
    state: dict[str, Any], out: Path, cfg: TrainConfig
) -> tuple[TrainConfig, ColorNetConfig, SSIMMapConfig]:
    """The configs a resumed run continues with: the saved ones (validated), with this
    invocation's wall-clock cap and thread count."""
    where = f"{out}: train_config"
    old = from_mapping(TrainConfig, state.get("train_config"), where)
    net_cfg = from_mapping(ColorNetConfig, state["config"], f"{out}: config")
    ssim_cfg = from_mapping(SSIMMapConfig, state["ssim_config"], f"{out}: ssim_config")
    return replace(old, minutes=cfg.minutes, threads=cfg.threads), net_cfg, ssim_cfg


def _restore(run: _Run, state: dict[str, Any], out: Path, rank: int) -> None:
    """Model, optimizer, counters and RNG states of a saved run."""
    run.model.load_state_dict(state["model"])
    run.opt.load_state_dict(state["optimizer"])
    run.step, run.elapsed = int(state["step"]), float(state["elapsed_s"])
    run.history = list(state["history"])
    if len(state["rng"]) != run.world:
        raise CribwatchError(
            f"{out}: saved with {len(state['rng'])} ranks, resumed with {run.world}"
        )
    run.rng.bit_generator.state = state["rng"][rank]
    torch.set_rng_state(state["torch_rng"])


def _snapshot(run: _Run) -> dict[str, Any]:
    """The checkpoint dict of the run as it stands (every rank's RNG state gathered)."""
    rngs: list[Any] = [run.rng.bit_generator.state]
    if run.world > 1:
        gathered: list[Any] = [None] * run.world
        dist.all_gather_object(gathered, run.rng.bit_generator.state)
        rngs = gathered
    return {
        "format": CKPT_FORMAT,
        "version": CKPT_VERSION,
        "config": config_dict(run.net_cfg),
        "ssim_config": asdict(run.ssim_cfg),
        "train_config": asdict(run.cfg),
        "model": _unwrap(run.ddp).state_dict(),
        "optimizer": run.opt.state_dict(),
        "step": run.step,
        "elapsed_s": run.elapsed,
        "history": run.history,
        "rng": rngs,
        "torch_rng": torch.get_rng_state(),
        "meta": {**run.meta, "data": str(run.data), "finished": run.step >= run.cfg.steps},
    }


def _train_step(run: _Run, sampler: PairSampler) -> dict[str, float]:
    """One optimizer step on a fresh batch; returns the loss parts."""
    cfg, net_cfg = run.cfg, run.net_cfg
    for group in run.opt.param_groups:
        group["lr"] = lr_at(run.step, cfg)
    night, ref, tgt, mask = sampler.batch(run.rng, cfg.batch)
    use_map = net_cfg.reference and net_cfg.attention
    night_l, ref_lab, smap = make_inputs(
        night, ref if net_cfg.reference else None, net_cfg.size, run.ssim_cfg, with_map=use_map
    )
    t_map = smap  # the teacher sees the map it was trained with
    if run.evidence is not None and smap is not None:
        smap = evidence_inputs(night, ref, smap, run.evidence, net_cfg.size)[1]
    night_l, ref_lab, smap, t_map, tgt, mask = _crop_all(
        [night_l, ref_lab, smap, t_map, tgt, mask], cfg.net_crop, run.rng, cfg.channels_last
    )
    pred, own_ab, gate = run.ddp(night_l, ref_lab, smap, True)
    may_open = (smap >= net_cfg.gate_full_at).to(smap.dtype) if smap is not None else None
    change = run.change
    loss, parts = loss_terms(
        pred, tgt, mask, cfg, own_ab, gate, may_open, changed_chroma=change.changed_chroma
    )
    t_pred = t_gate = None
    if run.teacher is not None and (cfg.distil_weight > 0 or change.static_distil > 0):
        with torch.no_grad():
            t_pred, _, t_gate = run.teacher(night_l, ref_lab, t_map, True)
    if t_pred is not None and cfg.distil_weight > 0:
        d = distil_loss(pred, gate, t_pred, t_gate, cfg.huber_delta)
        loss = loss + cfg.distil_weight * d
        parts["distil"] = float(d.detach())
    if change != ChangeConfig():
        extra, extra_parts = change_terms(pred, gate, mask, change, t_pred, t_gate, cfg.huber_delta)
        loss = loss + extra
        parts.update(extra_parts)
    run.opt.zero_grad(set_to_none=True)
    loss.backward()
    run.opt.step()
    run.step += 1
    parts["loss"] = float(loss.detach())
    return parts


def _new_run(
    data: Path,
    cfg: TrainConfig,
    net_cfg: ColorNetConfig,
    ssim_cfg: SSIMMapConfig,
    rank: int,
    world: int,
) -> _Run:
    """A freshly initialised model, optimizer and random stream for ``rank``."""
    torch.manual_seed(cfg.seed)
    model = ColorNet(net_cfg)
    opt = torch.optim.AdamW(model.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
    rng = np.random.default_rng(cfg.seed + 1000 * rank)
    return _Run(data, cfg, net_cfg, ssim_cfg, model, model, opt, rng, world, {})


def _init_from(run: _Run, path: Path) -> None:
    """Start ``run`` from the weights of a trained network of the same architecture."""
    state = load_checkpoint(path)
    cfg = from_mapping(ColorNetConfig, state["config"], f"{path}: config")
    if cfg != run.net_cfg:
        raise CribwatchError(f"{path}: --init network's architecture differs from the run's")
    t_ssim = from_mapping(SSIMMapConfig, state["ssim_config"], f"{path}: ssim_config")
    if t_ssim != run.ssim_cfg:
        raise CribwatchError(f"{path}: --init network's SSIM map settings differ from the run's")
    run.model.load_state_dict(state["model"])


def _wrap(run: _Run) -> None:
    """Channels-last memory format and DistributedDataParallel where asked; training mode."""
    if run.cfg.channels_last:
        run.model = run.model.to(memory_format=torch.channels_last)  # type: ignore[call-overload]
    run.ddp = run.model
    if run.world > 1:
        run.ddp = nn.parallel.DistributedDataParallel(run.model)
    run.ddp.train()


def train(
    data: Path,
    out: Path,
    cfg: TrainConfig,
    net_cfg: ColorNetConfig | None = None,
    *,
    resume: bool = False,
    progress: Progress | None = None,
    ssim_cfg: SSIMMapConfig | None = None,
    command: str | None = None,
    stop_after: int | None = None,
    teacher: Path | None = None,
    init: Path | None = None,
    change: ChangeConfig | None = None,
    evidence: Logistic | None = None,
) -> dict[str, Any]:
    """Train (or resume) a :class:`ColorNet` on the pair set ``data``; returns the final
    checkpoint dict (also written to ``out`` by rank 0). ``progress(step, steps)`` is called
    after every step on rank 0. ``stop_after`` ends this invocation after that many steps, as
    an interruption would (tests of ``resume``). ``teacher`` (weights of a trained network,
    same SSIM settings and resolution) is distilled with ``cfg.distil_weight``; a resumed run
    reuses the teacher its checkpoint names when none is given. ``init`` (weights of a trained
    network of the same architecture) starts a fine-tune from its weights instead of a fresh
    initialisation; ``change`` adds the :class:`ChangeConfig` terms (a resumed run reuses the
    ones its checkpoint saved). ``evidence`` (a change classifier of
    :mod:`cribwatch.color.evidence`, fitted on training pairs) feeds the network the SSIM map
    fused with the change probability (:func:`cribwatch.color.model.evidence_inputs`) instead
    of the map; it is saved in the checkpoint's ``meta.evidence`` (a resumed run reuses it), and
    a network trained with it must be run with it."""
    torch.set_num_threads(cfg.threads)
    rank, world = _setup_dist()
    out = Path(out)
    state: dict[str, Any] | None = load_checkpoint(out) if resume else None
    if state is not None:
        cfg, net_cfg, ssim_cfg = _resumed_configs(state, out, cfg)
    net_cfg = net_cfg or ColorNetConfig()
    ssim_cfg = ssim_cfg or SSIMMapConfig(work_side=net_cfg.size)
    run = _new_run(data, cfg, net_cfg, ssim_cfg, rank, world)
    saved_meta = state.get("meta", {}) if state is not None else {}
    if state is not None:
        _restore(run, state, out, rank)
    elif init is not None:
        _init_from(run, Path(init))
    if change is None and saved_meta.get("change"):
        change = from_mapping(ChangeConfig, saved_meta["change"], f"{out}: meta.change")
    run.change = change or ChangeConfig()
    if evidence is None and saved_meta.get("evidence"):
        evidence = Logistic(**saved_meta["evidence"])
    run.evidence = evidence
    if teacher is None and saved_meta.get("teacher"):
        teacher = Path(saved_meta["teacher"])
    if (cfg.distil_weight > 0 or run.change.static_distil > 0) and teacher is None:
        raise CribwatchError("distil_weight > 0 or static_distil > 0 needs a teacher network")
    if teacher is not None:
        run.teacher = load_teacher(teacher, ssim_cfg, net_cfg.size)
        if cfg.channels_last:
            run.teacher = run.teacher.to(memory_format=torch.channels_last)  # type: ignore[call-overload]
    sampler = PairSampler(data, net_cfg.size, cfg)
    _wrap(run)
    run.meta = {
        "params": count_params(run.model),
        "macs": count_macs(run.model),  # after the restore: it draws from torch's RNG
        "pairs": len(sampler),
        "world_size": world,
        "command": command,
    }
    if teacher is not None:
        run.meta["teacher"] = str(teacher)
        run.meta["teacher_sha256"] = sha256_file(Path(teacher))
    if run.change != ChangeConfig():
        run.meta["change"] = asdict(run.change)
    if run.evidence is not None:
        run.meta["evidence"] = asdict(run.evidence)
    init_path = Path(init) if init is not None else None
    if init_path is None and saved_meta.get("init"):
        init_path = Path(saved_meta["init"])
    if init_path is not None:
        run.meta["init"] = str(init_path)
        run.meta["init_sha256"] = saved_meta.get("init_sha256") or sha256_file(init_path)
    t_start = time.monotonic() - run.elapsed
    acc: dict[str, float] = {}
    acc_n = 0
    first_step = run.step
    while run.step < cfg.steps:
        if (time.monotonic() - t_start) / 60.0 >= cfg.minutes:
            break
        if stop_after is not None and run.step - first_step >= stop_after:
            break
        parts = _train_step(run, sampler)
        for k, v in parts.items():
            acc[k] = acc.get(k, 0.0) + v
        acc_n += 1
        if run.step % cfg.log_every == 0 or run.step == cfg.steps:
            run.history.append({"step": run.step, **{k: v / acc_n for k, v in acc.items()}})
            acc, acc_n = {}, 0
        run.elapsed = time.monotonic() - t_start
        if rank == 0:
            report(progress, run.step, cfg.steps)
        if run.step % cfg.ckpt_every == 0 and run.step < cfg.steps:
            snap = _snapshot(run)
            if rank == 0:
                save_checkpoint(out, snap)
    if world > 1:
        for buf in run.model.buffers():
            dist.broadcast(buf, src=0)
    run.elapsed = time.monotonic() - t_start
    final = _snapshot(run)
    if rank == 0:
        save_checkpoint(out, final)
    if world > 1:
        dist.barrier()
    return final


def finish_dist() -> None:
    """Leave the process group a distributed run joined (no-op otherwise)."""
    if dist.is_initialized():
        dist.destroy_process_group()


def dist_rank() -> int:
    """This process's rank (0 outside torchrun)."""
    return _dist_env()[0]


LICENCES = {
    "scenes": "Debian mate-backgrounds (GPL-2+ / CC-BY-SA), plasma-workspace-wallpapers "
    "(LGPL-3 / CC-BY-SA-4.0), scikit-image data samples (public domain / CC0)",
    "stamps": "Debian tuxpaint-stamps-default (GPL-2+)",
}
"""Licences of the training data the shipped weights were trained on."""


def model_line(net: dict[str, Any]) -> str:
    """The card's one-line ``model`` description of a network config."""
    size = net.get("size", ColorNetConfig.size)
    if not net.get("reference", True):
        return f"automatic colour network: night L alone -> Lab ab, no reference ({size}x{size})"
    if not net.get("attention", True):
        return (
            "reference colour network without SSIM attention (ablation): night L + day "
            f"reference Lab -> Lab ab with a reference-copy gate ({size}x{size})"
        )
    return (
        "SSIM-guided colour network: night L + day reference Lab + SSIM map -> Lab ab with a "
        f"reference-copy gate ({size}x{size})"
    )


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
    finished training checkpoint, and its model card beside it (``out`` with ``.json``, the
    schema of :mod:`cribwatch.cards`)."""
    state = load_checkpoint(checkpoint)
    missing = [
        k for k in ("train_config", "step", "history", "meta", "elapsed_s") if k not in state
    ]
    if missing or not isinstance(state.get("meta"), dict):
        raise CribwatchError(f"{checkpoint}: not a training checkpoint (no {missing or 'meta'})")
    slim: dict[str, Any] = {
        k: state[k]
        for k in ("format", "version", "config", "ssim_config", "train_config", "model", "step")
        if k in state
    }
    slim.update(history=state["history"], meta=state["meta"], elapsed_s=state["elapsed_s"])
    meta = state["meta"]
    tc = state["train_config"]
    card = {
        "capability": "color",
        "model": model_line(state["config"]),
        "method": method,
        "weights": out.name,
        "architecture": state["config"],
        "ssim_config": state["ssim_config"],
        "params": meta.get("params", 0),
        "macs": meta.get("macs", 0),
        "macs_counted_by": "torch.utils.flop_counter.FlopCounterMode (FLOPs / 2), 128x128",
        "command": meta.get("command"),
        "seed": tc.get("seed"),
        "steps": state["step"],
        "finished": bool(meta.get("finished")),
        "minutes": round(float(state["elapsed_s"]) / 60.0, 1),
        "training": tc,
        "hardware": hardware,
        "final_loss": state["history"][-1] if state["history"] else None,
        "data": recipe,
        "licences": LICENCES,
        "held_out_metrics": metrics or {},
    }
    validate_card({"format": CARD_FORMAT, "version": CARD_VERSION, **card}, card_path(out))
    save_checkpoint(out, slim)
    card["sha256"] = {out.name: sha256_file(out)}
    write_card(card_path(out), card)
    return card


def sha256_file(path: Path) -> str:
    """Hex SHA-256 of a file."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()
