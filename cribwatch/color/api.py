"""The colour front desk: a :class:`Colorizer` that holds a day reference and colours night
frames, the shipped weights and their cards, and the file-level entries the CLI verbs call.

Example::

    from cribwatch.color import Colorizer
    from cribwatch.io import read_gray, read_rgb

    col = Colorizer(read_rgb("day.png"))          # the shipped ssim-guided network (ONNX)
    rgb = col.colorize(read_gray("night.png"))    # (H, W, 3) float32 in [0, 1]

The default method, ``ssim-guided`` with its shipped weights, runs on the deployable pipeline
(:mod:`cribwatch.color.runtime`: NumPy, OpenCV and ONNX Runtime; torch is never imported).
Every other method (the baselines, ``ref``, ``auto``, ``blend``, variants such as
``ssim-guided@bilinear``, or ``.pt`` weights of your own) runs the torch pipeline, which needs
the ``train`` extra (torch, kornia). This module imports torch only inside those paths.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

from cribwatch.cards import card_path, read_card
from cribwatch.color.align import (
    EDGE_PX,
    AlignConfig,
    Alignment,
    FillPlan,
    align,
    align_or_refuse,
    apply_fill_plan,
    fill_plan,
    structure_agreement,
)
from cribwatch.color.bank import ReferenceBank
from cribwatch.color.litert_net import LiteRTRuntime, open_runtime
from cribwatch.color.methods import (
    BASELINE_METHODS,
    DEFAULT_METHOD,
    LEARNED_METHODS,
    ONNX_WEIGHTS,
    SHIPPED_METHODS,
    VARIANTS,
    WEIGHTS,
    check_image_size,
    check_method,
    default_onnx,
    default_weights,
    method_names,
    read_night,
    read_reference,
    weights_dir,
)
from cribwatch.color.runtime import ColorRuntime
from cribwatch.color.stream import ColorStream, StreamConfig
from cribwatch.errors import CribwatchError
from cribwatch.io import atomic_path, guard_output, to_uint8, write_image

MAX_ALIGN_FRAMES = 64
"""Most frames :class:`Colorizer` averages into its alignment frame (``align_frames``)."""


def model_card(method: str = DEFAULT_METHOD) -> dict[str, Any]:
    """The validated model card of ``method``'s shipped weights."""
    return read_card(card_path(default_weights(method)), "color")


def _u8(img: np.ndarray) -> np.ndarray:
    return img if img.dtype == np.uint8 else to_uint8(img)


def _float(img: np.ndarray) -> np.ndarray:
    if img.dtype == np.uint8:
        return img.astype(np.float32) / 255.0
    if not np.all(np.isfinite(img)):
        raise CribwatchError("image contains NaN or infinite values")
    return np.asarray(img, dtype=np.float32)


def uses_runtime(method: str, weights: Path | None) -> bool:
    """Whether ``method`` with ``weights`` runs on the torch-free runtime (ONNX Runtime for
    ``.onnx``, LiteRT for ``.tflite``)."""
    if method != DEFAULT_METHOD:
        return False
    return weights is None or Path(weights).suffix.lower() in (".onnx", ".tflite")


class Colorizer:
    """Colours night frames with a day reference it holds.

    Args:
        reference: the day colour reference, (h, w, 3) RGB as float in [0, 1] or uint8.
        method: a method name (:func:`method_names`, optionally ``@variant``); default
            ``ssim-guided``.
        weights: a weights file for a single-network method: ``.onnx`` (an export of
            ``cribwatch color export``; ``ssim-guided`` only), ``.tflite`` (its LiteRT export,
            extra ``tflite`` or ``rollover`` for the interpreter) or ``.pt`` (torch); default the
            shipped ones.
        threads: ONNX Runtime intra-op threads (the runtime path).
        align: register the reference to the night view (:mod:`cribwatch.color.align`) at
            the first frame and after every :meth:`set_reference` or :meth:`realign`; the
            warped reference is used from then on (no per-frame cost).
        align_config: alignment settings (default :class:`AlignConfig`).
        strict: with ``align``, a reference that does not match the view raises
            :class:`CribwatchError`; otherwise it is used as it is (``alignment`` says so).
        bank: a :class:`ReferenceBank`: the reference is chosen from it per view (at the
            first frame, after :meth:`realign` and whenever the bank changes), aligned.
        name: how errors name the reference.
        recheck_every: with ``align``, every this many frames the warped reference's structure
            agreement with the frame (:func:`~cribwatch.color.align.structure_agreement`, a few
            ms) is compared with its value just after alignment; below half of it the view
            has moved (a preset, a bumped mount) and the next frame aligns again. 0: never.
        fill_every: with ``align``, the colour of the pixels the warped reference does not
            cover (:func:`~cribwatch.color.align.guided_fill_map`, about 20 ms) is
            recomputed every this many frames and reused in between (applying it costs a
            few ms); 1: every frame.
        edge_px: with ``align``, the edge-strip rule (:func:`~cribwatch.color.align.fill_plan`):
            uncovered strips along the frame edge at most this many pixels wide keep the warped
            reference's mirrored edge instead of being filled (default
            :data:`~cribwatch.color.align.EDGE_PX`, 2, as the live monitor: a same-camera
            reference warped by a sub-pixel shift leaves a one-pixel border, which then costs
            nothing per frame); 0: every uncovered pixel is filled.
        align_frames: with ``align``, the reference is aligned again, once, on the mean of
            the first this many frames after each (re)alignment (a static camera's frames
            differ by sensor noise: the mean has that much less of it and registers more
            often; docs/results/color-camera.md, fourth pass); the first frame's estimate is
            used until then, and is provisional (a refusal there is not raised with
            ``strict``; the estimate on the mean decides). 1: the first frame alone.

    ``colorize(night)`` takes an (H, W) grey frame (float in [0, 1] or uint8) and returns
    (H, W, 3) float32 RGB in [0, 1]; a reference of another size is resized to the frame.
    ``stream()`` gives the frame-by-frame mode for video (:class:`ColorStream`).
    """

    def __init__(
        self,
        reference: np.ndarray,
        method: str = DEFAULT_METHOD,
        weights: str | os.PathLike[str] | None = None,
        *,
        threads: int = 1,
        align: bool = False,
        align_config: AlignConfig | None = None,
        strict: bool = True,
        bank: ReferenceBank | None = None,
        name: str = "reference",
        recheck_every: int = 0,
        fill_every: int = 15,
        align_frames: int = 1,
        edge_px: int = EDGE_PX,
    ) -> None:
        check_method(method)
        if not 1 <= align_frames <= MAX_ALIGN_FRAMES:
            raise CribwatchError(
                f"align_frames must be 1 to {MAX_ALIGN_FRAMES}, not {align_frames}"
            )
        self.align_frames = align_frames
        self._acc: np.ndarray | None = None
        self._acc_n = 0
        self.name = name
        """How errors name the reference (a CLI passes ``--reference PATH``)."""
        self.method = method
        self.align = align or bank is not None
        self.align_config = align_config or (bank.cfg if bank is not None else AlignConfig())
        self.strict = strict
        self.bank = bank
        self.alignment: Alignment | None = None
        """The last alignment (None before the first aligned frame or without ``align``)."""
        self._effective: np.ndarray | None = None
        self._bank_version = -1
        if recheck_every < 0:
            raise CribwatchError(f"recheck_every must be 0 or more, not {recheck_every}")
        self.recheck_every = recheck_every
        if fill_every < 1:
            raise CribwatchError(f"fill_every must be 1 or more, not {fill_every}")
        self.fill_every = fill_every
        if edge_px < 0:
            raise CribwatchError(f"edge_px must be 0 or more, not {edge_px}")
        self.edge_px = edge_px
        self.fill_plan: FillPlan | None = None
        """The fill plan of the current warp (None: nothing to fill, or no alignment)."""
        self._fill: np.ndarray | None = None
        self._fill_age = 0
        self.realigned = 0
        """How many times the reference was (re)aligned."""
        self._agreement: float | None = None
        self._frames = 0
        self._view_moved = False
        self.weights = Path(weights) if weights is not None else None
        self._runtime: ColorRuntime | None = None
        self._method: Any = None
        if uses_runtime(method, self.weights):
            path = self.weights or default_onnx()
            self._runtime = open_runtime(path, threads)
            net = self._runtime.net
            if not (net.get("reference", True) and net.get("attention", True)):
                raise CribwatchError(
                    f"{path}: a model for reference={net.get('reference')}, "
                    f"attention={net.get('attention')}, not {method!r}"
                )
        else:
            from cribwatch.color.eval import resolve_method  # extra: train

            self._method = resolve_method(method, self.weights)
        self._ref_size: tuple[int, int] | None = None
        self.set_reference(reference)

    @property
    def backend(self) -> str:
        """``"onnx"`` (NumPy + OpenCV + ONNX Runtime, no torch), ``"litert"`` (the same with a
        ``.tflite`` network run by LiteRT) or ``"torch"``."""
        if self._runtime is None:
            return "torch"
        return "litert" if isinstance(self._runtime, LiteRTRuntime) else "onnx"

    def set_reference(self, reference: np.ndarray) -> None:
        """Hold a new day reference (the next frame prepares it for its size)."""
        ref = np.asarray(reference)
        if ref.ndim != 3 or ref.shape[2] != 3:
            raise CribwatchError(f"reference must be RGB (H, W, 3), got shape {ref.shape}")
        self.reference = ref
        self._ref_size = None
        self._effective = None
        self.fill_plan = None

    def realign(self) -> None:
        """Align again at the next frame (the view moved: a preset, a bumped mount)."""
        self._effective = None
        self._ref_size = None
        self._view_moved = True

    def _aligned_reference(self, n: np.ndarray) -> np.ndarray:
        """The reference the next frame uses: as given, or aligned (and chosen) once."""
        if not self.align:
            return self.reference
        if self.bank is not None and self._bank_version != self.bank.version:
            self._bank_version = self.bank.version
            self._effective = None
        if self._effective is not None and self._effective.shape[:2] == n.shape:
            self._frames += 1
            if self.recheck_every and self._frames % self.recheck_every == 0:
                now = structure_agreement(n, self._effective, self.align_config)
                if self._agreement is not None and now < 0.5 * self._agreement:
                    self._effective = None  # the view moved: align again below
                    self._view_moved = True
            if self._effective is not None and self._acc is not None:
                self._acc += _float(n)
                self._acc_n += 1
                if self._acc_n >= self.align_frames:
                    mean = (self._acc / self._acc_n).astype(np.float32)
                    self._acc = None
                    self._ref_size = None
                    eff = self._choose_reference(mean, provisional=False)
                    if self.recheck_every:
                        self._agreement = structure_agreement(n, eff, self.align_config)
                    return eff
            if self._effective is not None:
                return self._effective
        self._ref_size = None
        self._frames = 0
        self.realigned += 1
        self._acc, self._acc_n = None, 0
        if self.align_frames > 1:
            self._acc, self._acc_n = _float(n).astype(np.float64), 1
        eff = self._choose_reference(n, provisional=self.align_frames > 1)
        self._agreement = (
            structure_agreement(n, eff, self.align_config) if self.recheck_every else None
        )
        return eff

    def settle(self) -> None:
        """Decide a provisional alignment now, on the mean of the frames seen since it (a
        stream that ends before :attr:`align_frames` frames); with ``strict`` a reference
        that does not match raises. Nothing to do otherwise."""
        if self._acc is None or self._acc_n < 1:
            return
        mean = (self._acc / self._acc_n).astype(np.float32)
        self._acc = None
        self._ref_size = None
        self._choose_reference(mean, provisional=False)

    def _choose_reference(self, n: np.ndarray, provisional: bool = False) -> np.ndarray:
        """Align (and with a bank, choose) the reference for frame ``n`` (``provisional``:
        an estimate on a single frame that the mean of :attr:`align_frames` frames replaces,
        so a refusal is not raised)."""
        strict = self.strict and not provisional
        eff = self.reference
        self.fill_plan = None
        self._fill = None
        if self.bank is not None:
            # a bank refresh keeps each reference's last accepted warp; a moved view does not
            choice = self.bank.best(n, keep=not self._view_moved)
            self._view_moved = False
            if choice is None:
                if strict:
                    why = self.bank.refusal_reason()
                    raise CribwatchError(
                        f"no reference in the bank matches the night view ({why})"
                        if why
                        else "no reference in the bank matches the night view"
                    )
                self.alignment = None
            else:
                self.alignment = choice.alignment
                self.reference = choice.entry.image
                eff = choice.warped()
                self._plan(self.alignment)
        elif strict:
            self.alignment = align_or_refuse(n, eff, self.align_config, self.name)
            self._plan(self.alignment)
            eff = self.alignment.warp(eff)
        else:
            self.alignment = align(n, eff, self.align_config)
            if self.alignment.ok:
                self._plan(self.alignment)
                eff = self.alignment.warp(eff)
        self._effective = eff
        return eff

    def _plan(self, alignment: Alignment) -> None:
        plan = fill_plan(alignment, self.edge_px)
        self.fill_plan = plan if plan.needed else None

    def colorize(self, night: np.ndarray) -> np.ndarray:
        """The colour frame of ``night`` (see the class doc)."""
        n = np.asarray(night)
        if n.ndim != 2:
            raise CribwatchError(f"night frame must be grey (H, W), got shape {n.shape}")
        ref = self._aligned_reference(n)
        if self._runtime is not None:
            size = (int(n.shape[0]), int(n.shape[1]))
            if self._ref_size != size:
                self._runtime.set_reference(_u8(ref), size)
                self._ref_size = size
            out = self._runtime(_u8(n)).astype(np.float32) / 255.0
        else:
            # a copy: the fill below works in place, and a method may hand back its input
            out = np.array(self._method(_float(n), _float(ref)), np.float32)
        plan = self.fill_plan
        if plan is not None and plan.shape == n.shape:
            # pixels the warped reference does not cover: colour of similar pixels nearby
            if self._fill is None or self._fill_age >= self.fill_every:
                self._fill = plan.fill_map(out, _float(n))
                self._fill_age = 0
            self._fill_age += 1
            out = apply_fill_plan(np.ascontiguousarray(out, np.float32), plan, self._fill)
        return np.asarray(out, np.float32)

    def stream(self, cfg: StreamConfig | None = None) -> ColorStream:
        """The frame-by-frame mode: a :class:`ColorStream` over this colorizer."""
        return ColorStream(self.colorize, cfg)

    __call__ = colorize


def check_writable(path: str | os.PathLike[str]) -> None:
    """Refuse, before any work, an output path that cannot be written (a read-only or
    immutable folder, a file in the way): a probe file is created and removed in the nearest
    existing folder on the way to ``path``."""
    dest = Path(path)
    if dest.is_dir():
        raise CribwatchError(f"{dest}: cannot write (a folder is in the way)")
    folder = dest.parent
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    if not folder.is_dir():
        raise CribwatchError(f"{dest}: cannot write ({folder} is not a folder)")
    try:
        fd, probe = tempfile.mkstemp(prefix=f".{dest.name}.probe-", dir=folder)
    except OSError as exc:
        raise CribwatchError(
            f"{dest}: cannot write ({exc.strerror or type(exc).__name__})"
        ) from exc
    os.close(fd)
    os.unlink(probe)


def ssim_map_file(
    night: Path,
    reference: Path,
    out: Path,
    *,
    mask_out: Path | None = None,
    threshold: float = 0.7,
    work_side: int = 256,
    force: bool = False,
) -> dict[str, Any]:
    """``cribwatch color ssim-map``: the SSIM map between the grey reference and the night
    frame as a PNG (255 = matches), and optionally the binary change mask (255 = changed).
    Both outputs are checked before any work and written together (neither or both)."""
    inputs: dict[str, str | os.PathLike[str] | None] = {
        "--night": night,
        "--reference": reference,
    }
    guard_output(out, inputs=inputs, force=force)
    check_writable(out)
    if mask_out is not None:
        if Path(mask_out).resolve() == Path(out).resolve():
            raise CribwatchError(f"--mask-out {mask_out}: is the --out output; choose another path")
        guard_output(mask_out, option="--mask-out", inputs={**inputs, "--out": out}, force=force)
        check_writable(mask_out)
    from cribwatch.color.lab import luma, np_to_t, t_to_np  # extra: train
    from cribwatch.color.mask import SSIMMapConfig, changed_mask, ssim_attention_map  # extra: train

    cfg = SSIMMapConfig(threshold=threshold, work_side=work_side)
    n = read_night(night)
    r = read_reference(reference)
    smap = ssim_attention_map(np_to_t(n), luma(np_to_t(r)), cfg)
    m = t_to_np(smap)
    mask = t_to_np(changed_mask(smap, cfg).float())
    with contextlib.ExitStack() as stack:
        tmp_out = stack.enter_context(atomic_path(out))
        tmp_mask = stack.enter_context(atomic_path(mask_out)) if mask_out is not None else None
        write_image(tmp_out, m)
        if tmp_mask is not None:
            write_image(tmp_mask, mask)
    return {
        "out": str(out),
        "mean": round(float(m.mean()), 4),
        "changed_fraction": round(float(mask.mean()), 4),
    }


def colorize_file(
    night: Path,
    reference: Path,
    out: Path,
    *,
    method: str = DEFAULT_METHOD,
    weights: Path | None = None,
    force: bool = False,
    align: bool = False,
) -> dict[str, Any]:
    """``cribwatch color colorize``: colour the image ``night`` with ``reference`` into the
    PNG ``out`` (checked first: never one of the inputs, never over a file cribwatch did not
    write unless ``force``). With ``align`` the reference is first registered to the night
    view (a reference of another view is refused). Returns what the verb prints."""
    check_method(method)
    guard_output(
        out,
        inputs={"--night": night, "--reference": reference, "--weights": weights},
        force=force,
    )
    check_writable(out)
    n = read_night(night)
    r = read_reference(reference)
    col = Colorizer(r, method, weights, align=align, name=f"--reference {reference}")
    write_image(out, col.colorize(n))
    info: dict[str, Any] = {"out": str(out), "method": method, "backend": col.backend}
    if col.alignment is not None:
        info["align"] = col.alignment.to_dict()
    return info


def align_file(
    night: Path, reference: Path, out: Path | None, *, force: bool = False
) -> dict[str, Any]:
    """``cribwatch color align``: register ``reference`` to ``night`` and write the reference
    resampled onto the night frame (PNG ``out``); a reference of another view is refused (one
    line, nothing written). Returns the alignment summary."""
    if out is not None:
        guard_output(out, inputs={"--night": night, "--reference": reference}, force=force)
        check_writable(out)
    n = read_night(night)
    r = read_reference(reference)
    res = align_or_refuse(n, r, AlignConfig(), f"--reference {reference}")
    if out is not None:
        write_image(out, res.warp(r))
    return {"out": None if out is None else str(out), **res.to_dict()}


__all__ = [
    "BASELINE_METHODS",
    "ReferenceBank",
    "StreamConfig",
    "align_file",
    "DEFAULT_METHOD",
    "LEARNED_METHODS",
    "ONNX_WEIGHTS",
    "SHIPPED_METHODS",
    "VARIANTS",
    "WEIGHTS",
    "Colorizer",
    "check_image_size",
    "check_method",
    "check_writable",
    "colorize_file",
    "default_onnx",
    "default_weights",
    "method_names",
    "model_card",
    "read_night",
    "read_reference",
    "ssim_map_file",
    "uses_runtime",
    "weights_dir",
]
