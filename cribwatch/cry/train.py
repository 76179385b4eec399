"""Training the cry CNN on a cry set (``cribwatch cry train``).

Windows of 98 frames (1 s) are cut at random frame offsets from the uint8 model input of every
file. The soft target of a window is ``min(1, cry seconds inside it / target_full_s)``.
Half of every batch are windows that overlap a cry, half are drawn uniformly. A small
level-shift and frequency-mask augmentation acts on the integer input. Training stops after
``minutes``, or after ``steps`` optimizer steps when ``steps`` > 0: then the step count (not
wall time) defines the learning-rate schedule and when validation runs (every
``val_every_steps``), so the same command and seed give the same weights on any CPU, and
``minutes`` is only a wall-clock cap. The checkpoint with the lowest validation loss is kept,
written atomically. Several cry sets may be given; their files are pooled.

Distillation (:mod:`cribwatch.cry.distill`): ``train(..., soft=...)`` takes a teacher's score
of every window on a grid of each file (``soft_hop_s``), and ``TrainConfig.teacher_weight``
``a`` makes a window's target ``(1 - a) * label + a * teacher`` (cross-entropy is linear in the
target, so this is the weighted sum of the two losses); the teacher's score of a window that
starts between two grid points is interpolated linearly. ``a = 0`` is the labels-only run.

Distributed: the same call runs under ``torchrun --nproc_per_node N`` (gloo on CPU, any
number of nodes): when ``WORLD_SIZE`` > 1 it joins the process group, wraps the model in
DistributedDataParallel (gradients averaged over ranks) and each rank draws its own windows:
rank 0 with exactly the random stream a single-process run has (the file split and the
validation batches come first, from ``seed``, the same on every rank), rank r > 0 with
``seed + 1000 * r``; ``batch`` is per rank. Before every validation, mining and checkpoint the
batch-norm buffers are broadcast from rank 0, so every rank holds identical weights and takes
identical keep/stop decisions; the wall-clock cap is agreed by all ranks each step. Rank 0
writes the checkpoint (meta ``world_size``). With ``WORLD_SIZE`` = 1 (or unset) nothing
changes: the run is bit-identical to the plain one.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import numpy as np
import torch
import torch.distributed as dist
from torch import nn

from cribwatch.cry.dataset import CrySet, load_set, set_features
from cribwatch.cry.features import FrontEndConfig
from cribwatch.cry.model import (
    WINDOW_FRAMES,
    CryNet,
    CryNetConfig,
    count_macs,
    count_params,
    load_model,
)
from cribwatch.cry.sources import _hash01, donateacry_uuid
from cribwatch.errors import CribwatchError
from cribwatch.io import OUTPUT_MARK, atomic_path
from cribwatch.progress import Progress, report


@dataclass(frozen=True)
class TrainConfig:
    """Training settings."""

    minutes: float = 40.0
    """Wall-clock budget (min); a cap when ``steps`` > 0."""
    steps: int = 0
    """Optimizer steps that define the run (0: the time budget defines it)."""
    val_every_steps: int = 500
    """Validate and checkpoint every this many steps (when ``steps`` > 0)."""
    seed: int = 0
    """Seed of initialisation, sampling and augmentation."""
    batch: int = 128
    """Windows per batch."""
    lr: float = 3e-3
    """Peak Adam learning rate (cosine decay over the time budget)."""
    weight_decay: float = 1e-4
    """AdamW weight decay."""
    pos_share: float = 0.5
    """Share of each batch drawn from windows that overlap a cry."""
    target_full_s: float = 0.5
    """Cry seconds inside a window that make its target 1."""
    val_share: float = 0.06
    """Share of files held out for validation."""
    val_every_s: float = 90.0
    """Validate and checkpoint every this many seconds (when ``steps`` is 0)."""
    level_shift: int = 16
    """Largest random level shift of the integer input (0-255 units; 16 is about 9 dB)."""
    freq_mask: int = 8
    """Largest frequency mask (mel bands)."""
    freq_shift: int = 0
    """Largest random shift along the mel axis (bands; a pitch and formant shift of the
    whole window: new voices, new animals); 0 = off."""
    time_mask: int = 0
    """Largest time mask (frames), applied to 30% of the windows; 0 = off."""
    mix_p: float = 0.0
    """Share of windows mixed with a cry-free window of the batch, 0-24 units (0-13 dB) lower,
    by the element-wise maximum (the log-mel of a sum is close to the larger of the two); the
    target stays that of the first window. Multiplies the backgrounds each cry is heard in."""
    hard_share: float = 0.0
    """Share of each batch drawn from mined hard negatives: the cry-free windows of the
    training files that the model being trained scores highest (0 = off). The detector works
    at scores of 0.98 and above, so its false alarms are the top of the negatives' score
    distribution; ordinary sampling rarely draws them."""
    hard_pool: int = 4096
    """Hard negatives kept per mining (the highest-scoring cry-free windows)."""
    mine_every_steps: int = 1000
    """Mine the hard negatives again every this many steps (and at the start)."""
    mine_stride: int = 25
    """Frames between the cry-free windows scored when mining (25: every 0.25 s)."""
    keep: str = "best"
    """Checkpoint to keep: ``best`` (lowest validation loss) or ``last`` (end of the schedule;
    with ``steps`` > 0 that makes the shipped weights a function of the command alone)."""
    threads: int = 1
    """torch intra-op threads."""
    real_babies: float = 1.0
    """Share of the Donate-a-cry app instances (babies and phones) whose recordings training
    may use: a file that holds a real cry of another instance is left out, the synthesized
    cries and cry-free files stay. Instances are kept by a hash of their uuid, so a smaller
    share is a subset of a larger one (a learning curve over babies); 1 keeps every file."""
    teacher_weight: float = 0.0
    """Distillation: share ``a`` of a window's target that comes from the teacher's score
    (``train(soft=...)``): target ``(1 - a) * label + a * teacher``; 0 = labels only."""


def cosine_lr(peak: float, frac: float) -> float:
    """Cosine learning-rate decay from ``peak`` at ``frac`` = 0 to 0 at ``frac`` >= 1."""
    return peak * 0.5 * (1 + float(np.cos(np.pi * min(1.0, frac))))


def strong_augment(cfg: TrainConfig) -> TrainConfig:
    """``cribwatch cry train --augment strong``: the augmentation the shipped model trained with."""
    return replace(cfg, freq_shift=3, time_mask=10, mix_p=0.5)


class Windows:
    """Random access to training windows of a set's features."""

    def __init__(
        self,
        feats: dict[str, tuple[np.ndarray, float]],
        labels: dict[str, list[tuple[float, float]]],
        files: list[str],
        hop_s: float,
        soft: dict[str, np.ndarray] | None = None,
        soft_hop_s: float = 0.25,
    ) -> None:
        self.mats = [feats[f][0] for f in files]
        self.soft = [soft.get(f) for f in files] if soft is not None else None
        self.soft_hop_s = soft_hop_s
        self.spans = [labels.get(f, []) for f in files]
        self.hop_s = hop_s
        self.n = np.array([max(0, m.shape[0] - WINDOW_FRAMES + 1) for m in self.mats])
        keep = self.n > 0
        self.idx = np.flatnonzero(keep)
        self.cum = np.cumsum(self.n[self.idx])
        self.pos: list[tuple[int, int]] = []
        for i in self.idx:
            for on, off in self.spans[i]:
                a = max(0, int((on - 0.75) / hop_s))
                b = min(int(self.n[i]), int((off - 0.25) / hop_s))
                self.pos.extend((int(i), j) for j in range(a, b, 5))

    def target(self, i: int, j: int, full_s: float) -> float:
        t0 = j * self.hop_s
        t1 = t0 + 1.0
        ov = sum(max(0.0, min(t1, off) - max(t0, on)) for on, off in self.spans[i])
        return min(1.0, ov / full_s)

    def teacher(self, picks: list[tuple[int, int]]) -> np.ndarray:
        """The teacher's score of each (file, frame) window, interpolated between its grid
        points; NaN where the file has no teacher scores."""
        out = np.full(len(picks), np.nan, np.float32)
        if self.soft is None:
            return out
        for k, (i, j) in enumerate(picks):
            sc = self.soft[i]
            if sc is None or sc.size == 0:
                continue
            u = min(j * self.hop_s / self.soft_hop_s, sc.size - 1.0)
            a = int(u)
            b = min(a + 1, sc.size - 1)
            out[k] = (1.0 - (u - a)) * sc[a] + (u - a) * sc[b]
        return out

    def negatives(self, stride: int) -> np.ndarray:
        """(file, frame) of every ``stride``-th window that overlaps no cry, as an (N, 2) array."""
        out = []
        for i in self.idx.tolist():
            j = np.arange(0, int(self.n[i]), stride)
            t0 = j * self.hop_s
            free = np.ones(j.size, bool)
            for on, off in self.spans[i]:
                free &= (t0 + 1.0 <= on) | (t0 >= off)
            out.append(np.stack([np.full(int(free.sum()), i), j[free]], axis=1))
        return np.concatenate(out) if out else np.zeros((0, 2), np.int64)

    def stack(self, picks: list[tuple[int, int]]) -> np.ndarray:
        """The windows of (file, frame) picks, as one (N, frames, mels) array."""
        return np.stack([self.mats[i][j : j + WINDOW_FRAMES] for i, j in picks])

    def batch(self, picks: list[tuple[int, int]], full_s: float) -> tuple[np.ndarray, np.ndarray]:
        """Windows and targets of (file, frame) picks."""
        y = np.array([self.target(i, j, full_s) for i, j in picks], dtype=np.float32)
        return self.stack(picks), y

    def sample(
        self, rng: np.random.Generator, n: int, pos_share: float, full_s: float
    ) -> tuple[np.ndarray, np.ndarray]:
        return self.batch(self.sample_picks(rng, n, pos_share), full_s)

    def sample_picks(
        self, rng: np.random.Generator, n: int, pos_share: float
    ) -> list[tuple[int, int]]:
        """(file, frame) of ``n`` random windows, ``pos_share`` of them overlapping a cry."""
        picks: list[tuple[int, int]] = []
        n_pos = int(round(n * pos_share)) if self.pos else 0
        for k in rng.integers(0, max(1, len(self.pos)), n_pos):
            i, j = self.pos[int(k)]
            j = int(np.clip(j + rng.integers(-2, 3), 0, self.n[i] - 1))
            picks.append((i, j))
        for u in rng.integers(0, int(self.cum[-1]), n - n_pos):
            k = int(np.searchsorted(self.cum, u, side="right"))
            i = int(self.idx[k])
            j = int(u - (self.cum[k - 1] if k > 0 else 0))
            picks.append((i, j))
        return picks


def mine_hard(
    model: CryNet, win: Windows, negatives: np.ndarray, pool: int, batch: int = 1024
) -> np.ndarray:
    """The ``pool`` windows of ``negatives`` (from :meth:`Windows.negatives`) that ``model``
    scores highest, as (file, frame) rows."""
    was = model.training
    model.eval()
    logits = np.empty(len(negatives), np.float32)
    with torch.no_grad():
        for a in range(0, len(negatives), batch):
            rows = negatives[a : a + batch]
            x = win.stack(rows.tolist())
            logits[a : a + len(rows)] = model(
                torch.from_numpy(x.astype(np.float32))[:, None]
            ).numpy()
    model.train(was)
    keep = np.argsort(-logits, kind="stable")[: min(pool, len(negatives))]
    return negatives[np.sort(keep)]


def augment(
    x: np.ndarray, rng: np.random.Generator, cfg: TrainConfig, y: np.ndarray | None = None
) -> np.ndarray:
    """Augmented float copy of a batch ``x`` (B, frames, mels) of 0-255 model input; ``y``
    (the targets) lets ``mix_p`` pick cry-free partners."""
    x = x.astype(np.int16)
    shift = rng.integers(-cfg.level_shift, cfg.level_shift + 1, size=(x.shape[0], 1, 1))
    x = np.where(x > 8, np.clip(x + shift, 0, 255), x)
    if cfg.mix_p > 0 and y is not None:
        free = np.flatnonzero(y == 0)
        if free.size:
            src = x.copy()
            for b in np.flatnonzero(rng.random(x.shape[0]) < cfg.mix_p).tolist():
                partner = int(free[rng.integers(free.size)])
                if partner != b:
                    other = np.clip(src[partner] - rng.integers(0, 25), 0, 255)
                    x[b] = np.maximum(x[b], other)
    for b in range(x.shape[0]):
        if cfg.freq_shift > 0:
            k = int(rng.integers(-cfg.freq_shift, cfg.freq_shift + 1))
            if k > 0:
                x[b, :, k:] = x[b, :, :-k].copy()
            elif k < 0:
                x[b, :, :k] = x[b, :, -k:].copy()
        if rng.random() < 0.3:
            w = int(rng.integers(1, cfg.freq_mask + 1))
            a = int(rng.integers(0, x.shape[2] - w))
            x[b, :, a : a + w] = 0
        if cfg.time_mask > 0 and rng.random() < 0.3:
            w = int(rng.integers(1, cfg.time_mask + 1))
            a = int(rng.integers(0, x.shape[1] - w))
            x[b, a : a + w, :] = 0
    return x.astype(np.float32)


def save_checkpoint(path: Path, model: CryNet, meta: dict[str, object]) -> None:
    with atomic_path(path) as tmp:
        torch.save(
            {
                "arch": model.config_dict(),
                "state_dict": model.state_dict(),
                "meta": meta,
                "written_by": OUTPUT_MARK,
            },
            tmp,
        )


def set_tag(k: int, n: int) -> str:
    """Prefix of the file names of the k-th of n pooled cry sets (none for a single set)."""
    return f"{k}/" if n > 1 else ""


def pooled_features(
    roots: list[Path],
    fe: FrontEndConfig = FrontEndConfig(),
    log: bool = True,
    progress: Progress | None = None,
) -> tuple[dict[str, tuple[np.ndarray, float]], dict[str, list[tuple[float, float]]], list[CrySet]]:
    """Features and cry labels of the files of one or several cry sets (file names tagged by
    :func:`set_tag`), and the loaded sets. ``progress(files done, files)``; ``log`` is kept
    for callers and unused (library code does not print)."""
    sets = [load_set(r) for r in roots]
    feats: dict[str, tuple[np.ndarray, float]] = {}
    labels: dict[str, list[tuple[float, float]]] = {}
    total = sum(len(s.files) for s in sets)
    done = 0

    def one_file(i: int, n: int | None = None) -> None:
        nonlocal done
        done += 1
        report(progress, done, total)

    for k, s in enumerate(sets):
        if not s.labels:
            raise CribwatchError(f"{s.root}: no cry labels, nothing to learn")
        tag = set_tag(k, len(sets))
        for f, fv in set_features(s, fe, progress=one_file).items():
            feats[tag + f] = fv
        labels.update({tag + f: spans for f, spans in s.labels.items()})
    return feats, labels, sets


BABIES_SALT = "babies:"
"""Salt of the hash that picks the app instances kept by ``real_babies``."""


def kept_instance(uuid: str, share: float) -> bool:
    """Whether the app instance ``uuid`` is among the ``share`` that ``real_babies`` keeps."""
    return share >= 1.0 or _hash01(BABIES_SALT + uuid.lower()) < share


def files_of_babies(sets: list[CrySet], share: float) -> set[str] | None:
    """Tagged names (as :func:`pooled_features` gives them) of the files that hold no real cry
    of an app instance outside ``share``; None when every file is kept (``share`` >= 1). Sets
    whose cries.tsv names no Donate-a-cry recording are refused (the option would do nothing)."""
    if share >= 1.0:
        return None
    keep: set[str] = set()
    seen = False
    for k, s in enumerate(sets):
        tag = set_tag(k, len(sets))
        for f in s.files:
            uuids = [
                donateacry_uuid(r.get("source", ""), r.get("name", "")) for r in s.cries.get(f, [])
            ]
            real = [u for u in uuids if u is not None]
            seen = seen or bool(real)
            if all(kept_instance(u, share) for u in real):
                keep.add(tag + f)
    if not seen:
        raise CribwatchError(
            "--real-babies: the sets' cries.tsv name no Donate-a-cry recording to leave out"
        )
    return keep


@dataclass
class _TrainData:
    """The training and validation windows of a run, and what its checkpoint records."""

    tr: Windows
    va: Windows | None
    val_batches: list[tuple[np.ndarray, np.ndarray]]
    data: object
    manifests: object


def _train_data(
    roots: list[Path],
    cfg: TrainConfig,
    fe: FrontEndConfig,
    rng: np.random.Generator,
    log: bool,
    progress: Progress | None,
    soft: dict[str, np.ndarray] | None = None,
    soft_hop_s: float = 0.25,
) -> _TrainData:
    """Features of the sets, the babies kept, the seeded train/validation file split and the
    fixed validation batches."""
    feats, labels, sets = pooled_features(roots, fe, log, progress)
    manifests: object = sets[0].manifest if len(sets) == 1 else [s.manifest for s in sets]
    files = list(feats)
    kept = files_of_babies(sets, cfg.real_babies)
    if kept is not None:
        files = [f for f in files if f in kept]
        if not any(labels.get(f) for f in files):
            raise CribwatchError("--real-babies: no file with a cry is left to learn from")
    data_str = str(roots[0]) if len(roots) == 1 else [str(r) for r in roots]
    order = rng.permutation(len(files))
    n_val = max(1, int(round(cfg.val_share * len(files)))) if len(files) > 3 else 0
    val_files = [files[i] for i in order[:n_val]]
    tr_files = [files[i] for i in order[n_val:]] or files
    hop_s = fe.hop_length / fe.sr
    tr = Windows(feats, labels, tr_files, hop_s, soft, soft_hop_s)
    va = Windows(feats, labels, val_files, hop_s) if val_files else None
    vrng = np.random.default_rng(cfg.seed + 1)
    val_batches = (
        [va.sample(vrng, 256, cfg.pos_share, cfg.target_full_s) for _ in range(4)] if va else []
    )
    return _TrainData(tr, va, val_batches, data_str, manifests)


def _validation_loss(
    model: CryNet, loss_fn: nn.Module, batches: list[tuple[np.ndarray, np.ndarray]]
) -> float:
    """Mean loss over the fixed validation batches (0 without any)."""
    model.eval()
    with torch.no_grad():
        ls = [
            float(
                loss_fn(model(torch.from_numpy(x.astype(np.float32))[:, None]), torch.from_numpy(y))
            )
            for x, y in batches
        ]
    model.train()
    return float(np.mean(ls)) if ls else 0.0


def _train_step(
    model: nn.Module,
    opt: torch.optim.Optimizer,
    loss_fn: nn.Module,
    tr: Windows,
    hard: np.ndarray,
    rng: np.random.Generator,
    cfg: TrainConfig,
    n_hard: int,
    pos_share: float,
) -> torch.Tensor:
    """One optimizer step on a batch (``n_hard`` of its windows from the mined ``hard``
    negatives); returns its loss. ``model`` may be wrapped in DistributedDataParallel."""
    picks = tr.sample_picks(rng, cfg.batch - n_hard, pos_share)
    x, y = tr.batch(picks, cfg.target_full_s)
    if n_hard:
        rows = [(int(i), int(j)) for i, j in hard[rng.integers(0, len(hard), n_hard)].tolist()]
        xh, yh = tr.batch(rows, cfg.target_full_s)
        x, y = np.concatenate([x, xh]), np.concatenate([y, yh])
        picks = picks + rows
    xt = torch.from_numpy(augment(x, rng, cfg, y))[:, None]
    target = y
    if cfg.teacher_weight > 0 and tr.soft is not None:
        t = tr.teacher(picks)
        a = cfg.teacher_weight
        target = np.where(np.isnan(t), y, (1.0 - a) * y + a * t).astype(np.float32)
    loss = loss_fn(model(xt), torch.from_numpy(target))
    opt.zero_grad()
    loss.backward()
    opt.step()
    return loss


def _dist_env() -> tuple[int, int]:
    """(rank, world size) from torchrun's environment; (0, 1) outside it."""
    return int(os.environ.get("RANK", "0")), int(os.environ.get("WORLD_SIZE", "1"))


def setup_dist() -> tuple[int, int]:
    """Join the process group (gloo) when ``WORLD_SIZE`` > 1; return (rank, world)."""
    rank, world = _dist_env()
    if world > 1 and not dist.is_initialized():
        dist.init_process_group(backend="gloo")
    return rank, world


def finish_dist() -> None:
    """Leave the process group a distributed run joined (no-op otherwise)."""
    if dist.is_initialized():
        dist.destroy_process_group()


def dist_rank() -> int:
    """This process's rank (0 outside torchrun)."""
    return _dist_env()[0]


def dist_barrier(world: int) -> None:
    """Wait for every rank (no-op outside a distributed run)."""
    if world > 1:
        dist.barrier()


def _sync_buffers(model: nn.Module, world: int) -> None:
    """Batch-norm running statistics of rank 0 on every rank (DDP averages gradients, not
    buffers), so evaluation-mode passes agree across ranks."""
    if world > 1:
        for buf in model.buffers():
            dist.broadcast(buf, src=0)


def _agree(flags: list[bool], world: int) -> list[bool]:
    """Each flag true on any rank, on every rank (one all-reduce)."""
    if world <= 1:
        return flags
    t = torch.tensor([int(f) for f in flags], dtype=torch.int64)
    dist.all_reduce(t, op=dist.ReduceOp.MAX)
    return [bool(v) for v in t.tolist()]


def train(
    data: Path | list[Path],
    out: Path,
    cfg: TrainConfig = TrainConfig(),
    arch: CryNetConfig = CryNetConfig(),
    fe: FrontEndConfig = FrontEndConfig(),
    log: bool = True,
    init: Path | None = None,
    *,
    progress: Progress | None = None,
    on_validation: Callable[[int, float, float], None] | None = None,
    soft: dict[str, np.ndarray] | None = None,
    soft_hop_s: float = 0.25,
    extra_meta: dict[str, object] | None = None,
) -> dict[str, object]:
    """Train on the cry set(s) ``data``; write the kept checkpoint to ``out``; return its meta.
    ``init``: start from that checkpoint's weights (and architecture) instead of a random model
    (fine-tuning, e.g. with hard negatives). ``progress(steps done, steps)`` (with a time
    budget: seconds done of the budget); ``on_validation(step, val_loss, best)`` after each
    validation; ``log`` is kept for callers and unused (library code does not print).
    ``soft``: a teacher's score of every ``soft_hop_s`` window of each file (names tagged as
    :func:`pooled_features` gives them), used with ``cfg.teacher_weight``; ``extra_meta`` is
    added to the checkpoint's meta. Under torchrun (``WORLD_SIZE`` > 1) the run is data
    parallel (module docstring); progress and ``on_validation`` are called on rank 0 only."""
    if cfg.keep not in ("best", "last"):
        raise CribwatchError(f"keep must be best or last, not {cfg.keep!r}")
    if not 0.0 <= cfg.teacher_weight <= 1.0:
        raise CribwatchError(f"teacher_weight must be in [0, 1], not {cfg.teacher_weight}")
    if cfg.teacher_weight > 0 and soft is None:
        raise CribwatchError("teacher_weight > 0 needs the teacher's scores (soft)")
    torch.set_num_threads(cfg.threads)
    rank, world = setup_dist()
    torch.manual_seed(cfg.seed)
    rng = np.random.default_rng(cfg.seed)
    roots = [Path(d) for d in data] if isinstance(data, list) else [Path(data)]
    d = _train_data(roots, cfg, fe, rng, log, progress if rank == 0 else None, soft, soft_hop_s)
    tr, va = d.tr, d.va
    if rank > 0:
        rng = np.random.default_rng(cfg.seed + 1000 * rank)

    if init is not None:
        model, _ = load_model(str(init))
        model.train()
    else:
        model = CryNet(arch)
    net: nn.Module = nn.parallel.DistributedDataParallel(model) if world > 1 else model
    n_hard = int(round(cfg.batch * cfg.hard_share))
    negatives = tr.negatives(cfg.mine_stride) if n_hard else np.zeros((0, 2), np.int64)
    if n_hard and len(negatives) == 0:
        raise CribwatchError("--hard-share: the training files have no cry-free windows to mine")
    hard = negatives[:0]
    pos_share = min(1.0, cfg.pos_share * cfg.batch / max(1, cfg.batch - n_hard))
    opt = torch.optim.AdamW(model.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
    loss_fn = nn.BCEWithLogitsLoss()
    budget = cfg.minutes * 60.0
    t0 = time.time()
    last_val = t0
    best = float("inf")
    step = 0
    meta: dict[str, object] = {}

    def make_meta(v: float) -> dict[str, object]:
        return {
            "data": d.data,
            "init": str(init) if init is not None else None,
            "seed": cfg.seed,
            "steps": step,
            "minutes": round((time.time() - t0) / 60, 2),
            "val_loss": round(v, 5),
            "train_config": asdict(cfg),
            "frontend": asdict(fe),
            "params": count_params(model),
            "macs": count_macs(model, (1, 1, WINDOW_FRAMES, fe.n_mels)),
            "set_manifest": d.manifests,
            "world_size": world,
            **(extra_meta or {}),
        }

    def keep(v: float) -> None:
        nonlocal meta
        meta = make_meta(v)
        if rank == 0:
            save_checkpoint(out, model, meta)

    while True:
        el = time.time() - t0
        (over,) = _agree([el >= budget], world)
        if over or (cfg.steps > 0 and step >= cfg.steps):
            break
        frac = step / cfg.steps if cfg.steps > 0 else el / budget
        for g in opt.param_groups:
            g["lr"] = cosine_lr(cfg.lr, frac)
        if n_hard and step % cfg.mine_every_steps == 0:
            _sync_buffers(model, world)
            hard = mine_hard(model, tr, negatives, cfg.hard_pool)
        loss = _train_step(net, opt, loss_fn, tr, hard, rng, cfg, n_hard, pos_share)
        step += 1
        if cfg.steps > 0:
            if rank == 0:
                report(progress, step, cfg.steps)
            due = step % cfg.val_every_steps == 0 or step >= cfg.steps
        else:
            if rank == 0:
                report(progress, int(min(budget, time.time() - t0)), int(budget))
            due = time.time() - last_val >= cfg.val_every_s
        due, over = _agree([due, time.time() - t0 >= budget], world)
        if due or over:
            last_val = time.time()
            _sync_buffers(model, world)
            v = _validation_loss(model, loss_fn, d.val_batches) if va else float(loss.detach())
            if v < best or not va or cfg.keep == "last":
                best = v
                keep(v)
            if on_validation is not None and rank == 0:
                on_validation(step, v, best)
    _sync_buffers(model, world)
    v = _validation_loss(model, loss_fn, d.val_batches) if va else 0.0
    if v < best or not meta or (cfg.keep == "last" and meta["steps"] != step):
        keep(v)
    if world > 1:
        dist.barrier()
    return meta
