"""The colour configs (torch-free): the SSIM map pipeline, the network and a training run.

Frozen dataclasses with a default and a one-line doc per field; :func:`cribwatch.cards.from_mapping`
validates them wherever a user hands them in (a checkpoint's saved configs), with the ranges
in each class's ``BOUNDS``. :mod:`cribwatch.color.mask`, :mod:`cribwatch.color.model` and
:mod:`cribwatch.color.train` re-export them; the CLI reads their defaults without importing torch.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, Literal


@dataclass(frozen=True)
class SSIMMapConfig:
    """Every tunable of the SSIM map pipeline, with its default."""

    BOUNDS: ClassVar[dict[str, tuple[float | None, float | None]]] = {
        "work_side": (1, 8192),
        "norm_sigma": (0, 1000),
        "norm_gain": (0, 100),
        "pre_sigma": (0, 100),
        "window": (1, 101),
        "sigma": (1e-6, 100),
        "close_size": (0, 101),
        "blur_sigma": (0, 100),
        "threshold": (0, 1),
        "eps": (0, 1),
    }

    work_side: int | None = 256
    """Longer side (pixels) the pipeline works at; None = the night frame's own size."""
    norm: Literal["local", "global", "none"] = "global"
    """Brightness/contrast normalisation of both grey frames before SSIM."""
    norm_sigma: float = 24.0
    """Gaussian sigma (pixels at working size) of the local mean/std for ``norm='local'``.

    Defaults of this config were chosen on a train-split tuning set (``make-pairs --split train
    --seed 100 --n 40``), never on the held-out sets."""
    norm_gain: float = 0.25
    """Standardised frames are mapped to 0.5 + norm_gain * z (so about [0, 1])."""
    pre_sigma: float = 2.0
    """Gaussian denoise sigma (pixels) on both frames before SSIM; 0 disables."""
    window: int = 11
    """SSIM Gaussian window side (odd)."""
    sigma: float = 1.5
    """SSIM Gaussian window sigma."""
    close_size: int = 7
    """Side of the square structuring element for morphological closing; 0 or 1 disables."""
    blur_sigma: float = 2.0
    """Gaussian blur sigma (pixels) after closing; 0 disables."""
    threshold: float = 0.7
    """Map values below this are 'changed' in the binary mask."""
    eps: float = 1e-3
    """Floor on the standard deviation in normalisation (flat regions)."""


@dataclass(frozen=True)
class ColorNetConfig:
    """Every architectural choice of :class:`ColorNet`, with its default."""

    BOUNDS: ClassVar[dict[str, tuple[float | None, float | None]]] = {
        "bottleneck_blocks": (0, 64),
        "size": (8, 1024),
        "std_eps": (0, 1),
        "std_gain": (0, 10),
        "gate_full_at": (1e-6, 1),
        "stem_stride": (1, 4),
    }

    attention: bool = True
    """Multiply the SSIM map into every reference-carrying tensor (False: the 'ref' ablation)."""
    reference: bool = True
    """Use the day reference at all (False: automatic colorization, the 'auto' mode)."""
    widths: tuple[int, int, int, int] = (16, 32, 48, 96)
    """Night-branch and decoder channels at the four levels (1, 1/2, 1/4, 1/8)."""
    ref_widths: tuple[int, int, int, int] = (16, 24, 32, 48)
    """Reference-branch channels at the four levels."""
    bottleneck_blocks: int = 3
    """Depthwise-separable residual blocks at the coarsest level (receptive field, semantics)."""
    size: int = 128
    """Model resolution (square side, pixels) for training and inference."""
    std_eps: float = 0.02
    """Floor on the per-image standard deviation of L (normalised) when standardising it."""
    std_gain: float = 0.25
    """Standardised L enters as ``0.5 + std_gain * z``, about the range of the other inputs."""
    gate_full_at: float = 0.5
    """SSIM map value from which the reference-copy gate may open fully (``min(1, m / t)``)."""
    stem_stride: int = 1
    """Stride of both encoders' first convolution: 1 works the first level at model
    resolution; 2 works every level at half of it (a quarter of the MACs) and the two heads'
    outputs are upsampled (bilinear) to model resolution inside the network."""


SLIM = ColorNetConfig(
    widths=(12, 16, 24, 64), ref_widths=(8, 12, 16, 32), bottleneck_blocks=3, stem_stride=2
)
"""The slim architecture (issue 27): every level at half of model resolution and fewer
channels; 13.7 M MACs per 128x128 frame against the default's 126.2 M."""

ARCHITECTURES = {"default": ColorNetConfig(), "slim": SLIM}
"""Named architectures (``cribwatch color train --arch``)."""


@dataclass(frozen=True)
class TrainConfig:
    """Every tunable of a training run, with its default."""

    BOUNDS: ClassVar[dict[str, tuple[float | None, float | None]]] = {
        "steps": (1, 10_000_000),
        "minutes": (0, 1_000_000),
        "batch": (1, 4096),
        "lr": (0, 10),
        "weight_decay": (0, 10),
        "warmup": (0, 10_000_000),
        "huber_delta": (1e-9, 100),
        "changed_weight": (0, 1000),
        "cf_weight": (0, 1000),
        "gate_weight": (0, 1000),
        "own_weight": (0, 1000),
        "distil_weight": (0, 1000),
        "misalign": (0, 0.5),
        "net_crop": (0, 4096),
        "ckpt_every": (1, 1_000_000_000),
        "log_every": (1, 1_000_000_000),
        "threads": (1, 256),
    }

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
    distil_weight: float = 0.0
    """Weight of the distillation term (0 = off; needs a teacher network): Huber distance of
    the composed ab to the teacher's, plus the absolute difference of the two gates, on the
    same inputs (:func:`cribwatch.color.train.train`'s ``teacher``)."""
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
