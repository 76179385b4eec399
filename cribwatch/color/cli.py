"""``cribwatch color ...``: thin verbs over the colour library (parse, check, call, print).

Every option is checked at the top of its verb (:mod:`cribwatch.clikit`) and every output
path through :func:`cribwatch.io.guard_output` before any work. This module imports no torch:
``color colorize`` with the default method runs on NumPy, OpenCV and ONNX Runtime; the verbs
that need the torch pipeline import it inside (``# extra: train``).
"""

from __future__ import annotations

import dataclasses
import json
import os
import sys
from pathlib import Path
from typing import Any

import typer
from rich.console import Console
from rich.table import Table

from cribwatch import clikit
from cribwatch.color.align import FRAMES as ALIGN_FRAMES
from cribwatch.color.align import measure
from cribwatch.color.api import (
    DEFAULT_METHOD,
    MAX_ALIGN_FRAMES,
    SHIPPED_METHODS,
    align_file,
    check_method,
    check_writable,
    colorize_file,
    default_weights,
    method_names,
    ssim_map_file,
)
from cribwatch.color.config import ARCHITECTURES, ColorNetConfig, SSIMMapConfig, TrainConfig
from cribwatch.color.evidence import load_logistic, logistic_from_mapping
from cribwatch.color.pairs import REF_WARPS, PairConfig, load_pair_set, make_pairs
from cribwatch.color.report import TABLE_KEYS, write_report
from cribwatch.color.stream import StreamConfig
from cribwatch.color.temporal import SequenceConfig, evaluate_sequences
from cribwatch.color.video import MAX_FRAMES as MAX_VIDEO_FRAMES
from cribwatch.color.video import video_file
from cribwatch.deploy.golden import golden_json
from cribwatch.errors import CribwatchError
from cribwatch.io import guard_output, read_json_object
from cribwatch.sim.night import RANGE_PRESETS

app = typer.Typer(help="Night colorization.", no_args_is_help=True)

MAX_WORK_SIDE = 4096
"""Largest ``--work-side`` of ``color ssim-map`` (the map is computed at this size)."""
MAX_PAIRS = 1_000_000
"""Largest ``--n`` of ``color make-pairs``."""
MAX_FRAMES = 1_000_000
"""Largest ``--frames`` of ``color bench``."""


def _int(option: str, value: int | None, low: int, high: int) -> None:
    clikit.check_number(option, value, low=low, high=high, integer=True)


def _method(option: str, value: str) -> None:
    try:
        check_method(value)
    except CribwatchError as exc:
        raise CribwatchError(f"{option}: {exc.message}") from None


# ----------------------------------------------------------------------------- train


@app.command("train")
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
    arch: str = typer.Option("default", "--arch", help="Architecture: default or slim."),
    teacher: Path | None = typer.Option(
        None, "--teacher", help="Weights of a trained network to distil (same SSIM settings)."
    ),
    distil_weight: float = typer.Option(
        TrainConfig.distil_weight, help="Weight of the distillation term (needs --teacher)."
    ),
    init: Path | None = typer.Option(
        None, "--init", help="Start from these weights (same architecture): a fine-tune."
    ),
    changed_chroma: float = typer.Option(
        1.0, help="Colour target on changed pixels as a fraction of the truth's (0 = grey)."
    ),
    static_distil: float = typer.Option(
        0.0, help="Weight of distillation on unchanged pixels only (needs --teacher)."
    ),
    gate_close: float = typer.Option(
        0.0, help="Weight of the shut-gate term -log(1 - gate) on changed pixels."
    ),
    evidence: Path | None = typer.Option(
        None,
        "--evidence",
        help="Change classifier (JSON, cribwatch.color.evidence, or .pt weights trained with "
        "one): the network sees the SSIM map fused with its change probability; saved in the "
        "weights.",
    ),
    resume: bool = typer.Option(False, "--resume", help="Continue the run saved in --out."),
    quiet: bool = typer.Option(False, "--quiet", help="No progress bar."),
    force: bool = clikit.force_option(),
) -> None:
    """Train the colorization network on a pair set (DDP: ``torchrun -m cribwatch.cli color``)."""
    _int("--steps", steps, 1, 10_000_000)
    _int("--batch", batch, 1, 4096)
    _int("--threads", threads, 1, 256)
    clikit.positive("--minutes", minutes)
    clikit.check_number("--lr", lr, low=0, high=10, low_open=True)
    for name, value in (
        ("--cf-weight", cf_weight),
        ("--changed-weight", changed_weight),
        ("--gate-weight", gate_weight),
        ("--own-weight", own_weight),
        ("--distil-weight", distil_weight),
        ("--static-distil", static_distil),
        ("--gate-close", gate_close),
    ):
        clikit.check_number(name, value, low=0, high=1000)
    clikit.check_number("--changed-chroma", changed_chroma, low=0, high=1)
    clikit.check_number("--gate-full-at", gate_full_at, low=0, high=1, low_open=True)
    clikit.one_of("--arch", arch, ("default", "slim"))
    if distil_weight > 0 and teacher is None and not resume:
        raise CribwatchError("--distil-weight: needs --teacher")
    if static_distil > 0 and teacher is None and not resume:
        raise CribwatchError("--static-distil: needs --teacher")
    if init is not None and not init.is_file():
        raise CribwatchError(f"--init: {init}: weights file not found")
    if teacher is not None and not teacher.is_file():
        raise CribwatchError(f"--teacher: {teacher}: weights file not found")
    change_model = None
    if evidence is not None:
        if not evidence.is_file():
            raise CribwatchError(f"--evidence: {evidence}: file not found")
        if evidence.suffix == ".pt":  # the classifier a network was trained with
            from cribwatch.color.checkpoint import load_checkpoint  # extra: train

            saved = load_checkpoint(evidence).get("meta", {}).get("evidence")
            if not isinstance(saved, dict):
                raise CribwatchError(f"--evidence: {evidence}: weights without a change classifier")
            change_model = logistic_from_mapping(saved, str(evidence))
        else:
            change_model = load_logistic(evidence)
    if resume:
        if not out.is_file():
            raise CribwatchError(f"--resume: {out}: checkpoint not found")
        guard_output(out, inputs={"--data": data}, force=True)
    else:
        guard_output(out, inputs={"--data": data}, force=force)
    check_writable(out)
    from cribwatch.color.train import ChangeConfig, dist_rank, finish_dist, train  # extra: train

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
        distil_weight=distil_weight,
    )
    net_cfg = dataclasses.replace(
        ARCHITECTURES[arch],
        attention=not no_attention,
        reference=not no_reference,
        gate_full_at=gate_full_at,
    )
    args = sys.argv[3:] if sys.argv[1:3] == ["color", "train"] else sys.argv[1:]
    command = "cribwatch color train " + " ".join(args)
    rank = dist_rank()
    with clikit.progress_bar("train", steps, enabled=not quiet and rank == 0) as bar:
        change = None
        if (changed_chroma, static_distil, gate_close) != (1.0, 0.0, 0.0):
            change = ChangeConfig(changed_chroma, static_distil, gate_close)
        final = train(
            data,
            out,
            cfg,
            net_cfg,
            resume=resume,
            progress=bar,
            command=command,
            teacher=teacher,
            init=init,
            change=change,
            evidence=change_model,
        )
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
    finish_dist()


# ----------------------------------------------------------------------------- frames


@app.command("ssim-map")
def ssim_map_cmd(
    night: Path = typer.Option(..., "--night", help="Night IR frame (grey or colour image)."),
    reference: Path = typer.Option(..., "--reference", help="Daytime colour reference."),
    out: Path = typer.Option(..., "--out", help="Output PNG of the map (255 = matches)."),
    mask_out: Path | None = typer.Option(
        None, "--mask-out", help="Also write the binary mask (255 = changed)."
    ),
    threshold: float = typer.Option(
        SSIMMapConfig.threshold, help="Mask threshold on the map, in [0, 1]."
    ),
    work_side: int = typer.Option(
        256, help=f"Longer side (pixels) the pipeline works at (1 to {MAX_WORK_SIDE})."
    ),
    force: bool = clikit.force_option(),
) -> None:
    """Write the SSIM map between the grey reference and the night frame."""
    clikit.rate("--threshold", threshold)
    _int("--work-side", work_side, 16, MAX_WORK_SIDE)
    info = ssim_map_file(
        night,
        reference,
        out,
        mask_out=mask_out,
        threshold=threshold,
        work_side=work_side,
        force=force,
    )
    typer.echo(json.dumps(info))


@app.command("colorize")
def colorize_cmd(
    night: Path = typer.Option(..., "--night", help="Night IR frame."),
    reference: Path = typer.Option(..., "--reference", help="Daytime colour reference."),
    out: Path = typer.Option(..., "--out", help="Output colour PNG."),
    method: str = typer.Option(
        DEFAULT_METHOD,
        "--method",
        help="Method: " + ", ".join(method_names()) + " (the default runs without torch).",
    ),
    weights: Path | None = typer.Option(
        None,
        "--weights",
        help="Weights for a learned method (.pt, or .onnx or .tflite for ssim-guided).",
    ),
    align: bool = typer.Option(
        False,
        "--align",
        help="Register the reference to the night view first (refused if it shows another scene).",
    ),
    force: bool = clikit.force_option(),
) -> None:
    """Colour a night frame with a daytime reference."""
    _method("--method", method)
    info = colorize_file(
        night, reference, out, method=method, weights=weights, force=force, align=align
    )
    typer.echo(json.dumps(info))


@app.command("align")
def align_cmd(
    night: Path = typer.Option(..., "--night", help="Night IR frame."),
    reference: Path = typer.Option(..., "--reference", help="Daytime colour reference."),
    out: Path = typer.Option(..., "--out", help="Output PNG: the reference warped onto the night."),
    as_json: bool = typer.Option(False, "--json", help="Print the whole alignment as JSON."),
    force: bool = clikit.force_option(),
) -> None:
    """Register a day reference to a night frame by structure; refuse another scene."""
    info = align_file(night, reference, out, force=force)
    if as_json:
        typer.echo(json.dumps(info))
        return
    dx, dy = info["shift_px"]
    typer.echo(
        f"{out}: confidence {info['confidence']:.2f}, zoom {info['zoom']:.3f}, "
        f"angle {info['angle']:.2f} deg, shift ({dx:.1f}, {dy:.1f}) px"
    )


@app.command("align-eval")
def align_eval_cmd(
    data: Path = typer.Option(..., "--data", help="Pair set made with make-pairs --ref-warp."),
    limit: int | None = typer.Option(None, "--limit", help="Only the first N pairs."),
    fail_px: float = typer.Option(3.0, "--fail-px", help="Error (pixels) counted as a failure."),
    frame: str = typer.Option(
        "auto",
        "--frame",
        help="auto: register each pair's alignment frame (align.png, the mean of several night "
        "frames: make-pairs --align-frames) where it has one, else its night frame; night: "
        "always the single night frame.",
    ),
) -> None:
    """Registration error p50/p90, failures, right- and wrong-scene refusals (one JSON line)."""
    _int("--limit", limit, 1, MAX_PAIRS)
    clikit.positive("--fail-px", fail_px)
    clikit.one_of("--frame", frame, ALIGN_FRAMES)
    pairs = load_pair_set(data)[:limit]
    if not any(isinstance(p.meta.get("ref_warp"), dict) for p in pairs):
        raise CribwatchError(
            f"--data {data}: no pairs with a known reference warp (build the set with "
            "color make-pairs --ref-warp camera)"
        )
    with clikit.progress_bar("align", len(pairs)) as bar:
        res = measure(pairs, progress=bar, fail_px=fail_px, frame=frame)
    typer.echo(json.dumps({"data": str(data), **{k: _round(v) for k, v in res.items()}}))


def _round(v: Any) -> Any:
    return round(v, 4) if isinstance(v, float) and v == v else (None if v != v else v)


@app.command("video")
def video_cmd(
    night: Path = typer.Argument(..., help="Night video (any format FFmpeg reads)."),
    reference: Path = typer.Option(..., "--reference", help="Daytime colour reference."),
    out: Path = typer.Option(..., "--out", help="Output video (H.264 MP4)."),
    method: str = typer.Option(DEFAULT_METHOD, "--method", help="Colour method."),
    align: bool = typer.Option(True, "--align/--no-align", help="Register the reference first."),
    denoise: bool = typer.Option(True, "--denoise/--no-denoise", help="Temporal denoising."),
    smooth: bool = typer.Option(True, "--smooth/--no-smooth", help="Temporal colour smoothing."),
    frames: int = typer.Option(8, "--frames", help="Most frames averaged where static."),
    max_frames: int | None = typer.Option(None, "--max-frames", help="Stop after N frames."),
    recheck_every: int = typer.Option(
        15, "--recheck-every", help="Frames between view checks (realign when it moved; 0: never)."
    ),
    align_frames: int = typer.Option(
        8,
        "--align-frames",
        help="Align again on the mean of the first N frames after each alignment (less "
        "sensor noise; 1: the first frame alone).",
    ),
    force: bool = clikit.force_option(),
) -> None:
    """Colour a night video frame by frame (denoised and smoothed where the scene is static)."""
    _method("--method", method)
    _int("--align-frames", align_frames, 1, MAX_ALIGN_FRAMES)
    _int("--frames", frames, 1, 1000)
    _int("--max-frames", max_frames, 1, MAX_VIDEO_FRAMES)
    _int("--recheck-every", recheck_every, 0, MAX_VIDEO_FRAMES)
    cfg = StreamConfig(denoise=denoise, smooth=smooth, frames=frames, colour_frames=frames)
    with clikit.progress_bar("video") as bar:
        info = video_file(
            night,
            reference,
            out,
            method=method,
            align=align,
            stream=cfg,
            max_frames=max_frames,
            force=force,
            progress=bar,
            recheck_every=recheck_every,
            align_frames=align_frames,
        )
    typer.echo(json.dumps(info))


@app.command("temporal-eval")
def temporal_eval_cmd(
    data: Path = typer.Option(..., "--data", help="Pair set with targets (the scenes)."),
    n: int = typer.Option(8, "--n", help="Sequences (one per pair, first N pairs)."),
    frames: int = typer.Option(40, "--frames", help="Frames per sequence (at least 24)."),
    seed: int = typer.Option(0, "--seed", help="Random seed of the sequences."),
    method: str = typer.Option(DEFAULT_METHOD, "--method", help="Colour method."),
    speed: float = typer.Option(
        0.0, "--speed", help="Object motion per frame after it enters (fraction of the width)."
    ),
) -> None:
    """Flicker, temporal lightness noise and lag on generated night sequences (JSON lines)."""
    _int("--n", n, 1, MAX_PAIRS)
    _int("--frames", frames, 24, 10_000)
    _method("--method", method)
    clikit.check_number("--speed", speed, low=0.0, high=0.2)
    pairs = load_pair_set(data)[:n]
    cfg = SequenceConfig(frames=frames, speed=speed)
    with clikit.progress_bar("sequences", len(pairs)) as bar:
        res = evaluate_sequences(pairs, seed, cfg, method=method, progress=bar)
    for name, row in res.items():
        typer.echo(json.dumps({"method": name, **{k: _round(v) for k, v in row.items()}}))


# ----------------------------------------------------------------------------- sets


@app.command("make-pairs")
def make_pairs_cmd(
    images: Path = typer.Option(..., "--images", help="Folder of scene photos."),
    stamps: Path = typer.Option(..., "--stamps", help="Folder of RGBA cut-out stamps."),
    out: Path = typer.Option(..., "--out", help="Output pair-set folder."),
    n: int = typer.Option(200, "--n", help="Number of pairs."),
    seed: int = typer.Option(0, "--seed", help="Random seed (same seed, same set)."),
    split: str = typer.Option("train", "--split", help="train, test (held-out names) or all."),
    night_ranges: str = typer.Option(
        "train", "--night-ranges", help="Night simulator ranges: train or ood (outside training)."
    ),
    ref_warp: str = typer.Option(
        "none",
        "--ref-warp",
        help="none; identity or camera: no shift edit, the reference rendered through a known "
        "warp (camera: shift up to 10% of the width, rotation up to 5 degrees, zoom 0.9-1.1), "
        "recorded in meta.json (same seed: same night, target and mask in both).",
    ),
    min_structure: float = typer.Option(
        0.0,
        "--min-structure",
        help="Redraw reference crops with less structure (mean gradient magnitude of the grey; "
        "0.05: as much as the least-structured 10% of real photos, a room-like set). 0: off.",
    ),
    max_changed: float = typer.Option(
        1.0, "--max-changed", help="Redraw pairs whose changed area is above this fraction."
    ),
    align_frames: int = typer.Option(
        1,
        "--align-frames",
        help="Above 1: also write align.png, the mean of this many night frames of the same "
        "view (fresh sensor noise): a static camera's alignment frame.",
    ),
    force: bool = clikit.force_option(),
) -> None:
    """Build a pair set: reference, changed target, night frame, change mask."""
    _int("--n", n, 1, MAX_PAIRS)
    clikit.one_of("--split", split, ("train", "test", "all"))
    clikit.one_of("--night-ranges", night_ranges, tuple(RANGE_PRESETS))
    clikit.one_of("--ref-warp", ref_warp, REF_WARPS)
    clikit.check_number("--min-structure", min_structure, low=0.0, high=1.0)
    clikit.check_number("--max-changed", max_changed, low=PairConfig.min_changed, high=1.0)
    _int("--align-frames", align_frames, 1, 64)
    cfg = PairConfig(min_structure=min_structure, max_changed=max_changed,
                     align_frames=align_frames)  # fmt: skip
    with clikit.progress_bar("pairs", n) as bar:
        make_pairs(
            images,
            stamps,
            out,
            n,
            seed,
            split,  # type: ignore[arg-type]
            night_ranges,
            cfg=cfg,
            progress=bar,
            force=force,
            ref_warp=ref_warp,  # type: ignore[arg-type]
        )
    info = {"out": str(out), "n": n, "seed": seed, "split": split, "night_ranges": night_ranges}
    if ref_warp != "none":
        info["ref_warp"] = ref_warp
    budget = {"min_structure": (min_structure, 0.0), "max_changed": (max_changed, 1.0),
              "align_frames": (align_frames, 1)}  # fmt: skip
    info.update({key: v for key, (v, off) in budget.items() if v != off})
    typer.echo(json.dumps(info))


# ----------------------------------------------------------------------------- scores


@app.command("eval")
def eval_cmd(
    data: Path = typer.Option(..., "--data", help="Pair set with ground truth."),
    method: str = typer.Option(..., "--method", help="Method: " + ", ".join(method_names())),
    weights: Path | None = typer.Option(None, "--weights", help="Weights for a learned method."),
    limit: int | None = typer.Option(None, "--limit", help="Score only the first N pairs."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object."),
    per_pair: bool = typer.Option(False, "--per-pair", help="Include per-pair scores in JSON."),
    align: bool = typer.Option(
        False, "--align", help="Register each reference to its night frame first."
    ),
) -> None:
    """Score a method on a pair set."""
    _int("--limit", limit, 1, MAX_PAIRS)
    _method("--method", method)
    from cribwatch.color.eval import evaluate, json_ready  # extra: train

    with clikit.progress_bar(method) as bar:
        result = evaluate(data, method, weights=weights, limit=limit, progress=bar, align=align)
    summary = json_ready(result, per_pair)
    if as_json:
        typer.echo(json.dumps(summary))
        return
    table = Table(title=f"{method} on {data} (n={summary['n']})")
    for k in TABLE_KEYS:
        table.add_column(k)
    table.add_row(*[str(summary.get(k)) for k in TABLE_KEYS])
    Console().print(table)


def _scales(text: str) -> tuple[float, ...]:
    try:
        values = tuple(float(v) for v in text.split(","))
    except ValueError:
        values = ()
    if not values or not all(0 < v <= 100 for v in values):  # also refuses nan and inf
        raise CribwatchError(
            f"--scales: must be a comma-separated list of finite numbers in (0, 100], not {text!r}"
        )
    return values


@app.command("diagnose")
def diagnose_cmd(
    data: Path = typer.Option(..., "--data", help="Pair set with ground truth and change masks."),
    weights: Path | None = typer.Option(
        None, "--weights", help="Gated network (default: the shipped ssim-guided weights)."
    ),
    scales: str = typer.Option(
        "0.25,0.5,1", "--scales", help="Comma-separated scales of the network's own ab (> 0)."
    ),
    limit: int | None = typer.Option(None, "--limit", help="Only the first N pairs."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object."),
) -> None:
    """Changed-region CIEDE2000 per edit type: gray, reference, output, own ab, oracle gate."""
    s = _scales(scales)
    _int("--limit", limit, 1, MAX_PAIRS)
    from cribwatch.color.diagnose import diagnose_set, table  # extra: train
    from cribwatch.color.eval import json_ready  # extra: train

    with clikit.progress_bar("diagnose") as bar:
        result = diagnose_set(data, weights or default_weights("ssim-guided"), s, limit, bar)
    typer.echo(json.dumps(json_ready(result)) if as_json else table(result))


@app.command("report")
def report_cmd(
    data: Path = typer.Option(..., "--data", help="Held-out pair set."),
    methods: str = typer.Option("gray,transfer,ssim-map", "--methods", help="Comma-separated."),
    ood: Path | None = typer.Option(None, "--ood", help="Second set with out-of-range night."),
    doc: Path = typer.Option(
        Path("docs/results/color.md"), "--doc", help="Markdown file to update."
    ),
    marker: str = typer.Option("color", "--marker", help="Section marker in the document."),
    title: str = typer.Option("Night colorization", "--title", help="Section heading."),
    cache: Path | None = typer.Option(
        None, "--cache", help="Folder of cached results (keyed by set, method, weights hash)."
    ),
) -> None:
    """Evaluate methods and write the metrics tables into the results document."""
    names = [m.strip() for m in methods.split(",") if m.strip()]
    if not names:
        raise CribwatchError("--methods: no method named")
    for m in names:
        _method("--methods", m)
    for name, given in (("--data", data), ("--ood", ood), ("--cache", cache)):
        if given is not None and doc.exists() and doc.resolve() == given.resolve():
            raise CribwatchError(f"--doc {doc}: is the {name} input; choose another path")
    with clikit.progress_bar("report") as bar:
        rows = write_report(
            data, names, doc, ood=ood, marker=marker, title=title, cache=cache, progress=bar
        )
    for r in rows:
        typer.echo(json.dumps(r))


# ----------------------------------------------------------------------------- weights


@app.command("ship")
def ship_cmd(
    checkpoint: Path = typer.Option(..., "--checkpoint", help="Finished training checkpoint."),
    method: str = typer.Option(
        ..., "--method", help="Method name: " + ", ".join(SHIPPED_METHODS) + "."
    ),
    out: Path | None = typer.Option(
        None, "--out", help="Weights file to write (default: the package's shipped file)."
    ),
    pairs_cmd: str = typer.Option(
        ..., "--pairs-command", help="The make-pairs command that built the training set."
    ),
    metrics: Path | None = typer.Option(
        None, "--metrics", help="JSON file of held-out metrics (from `color eval --json`)."
    ),
    hardware: str = typer.Option(
        "2 shared CPU cores, 1 torch thread per run", "--hardware", help="Where it trained."
    ),
    force: bool = clikit.force_option(),
) -> None:
    """Write slim shipped weights and their JSON card from a training checkpoint."""
    clikit.one_of("--method", method, SHIPPED_METHODS)
    target = out if out is not None else default_weights(method)
    inputs: dict[str, str | os.PathLike[str] | None] = {
        "--checkpoint": checkpoint,
        "--metrics": metrics,
    }
    guard_output(target, inputs=inputs, force=force)
    guard_output(target.with_suffix(".json"), option="--out (card)", inputs=inputs, force=force)
    check_writable(target)
    scores = read_json_object(metrics) if metrics is not None else None
    from cribwatch.color.train import ship  # extra: train

    recipe = {"make_pairs": pairs_cmd, "source": "cribwatch data fetch --dest data"}
    card = ship(checkpoint, target, method, recipe=recipe, metrics=scores, hardware=hardware)
    typer.echo(json.dumps({"out": str(target), "steps": card["steps"], "minutes": card["minutes"]}))


# ----------------------------------------------------------------------------- deployment


@app.command("export")
def export_cmd(
    weights: Path = typer.Option(..., "--weights", help="Weights (.pt) of a colour network."),
    fmt: str = typer.Option("onnx", "--format", help="onnx or tflite."),
    out: Path = typer.Option(..., "--out", help="Output model file."),
    check_pairs: Path | None = typer.Option(
        None, "--check-pairs", help="Pair set for the FP32 parity check against PyTorch."
    ),
    io: str = typer.Option(
        "split",
        "--io",
        help="split: normalised separate inputs/outputs (shipped); packed: one raw-unit input "
        "and output, as a first attempt exports (to study quantization failures).",
    ),
    force: bool = clikit.force_option(),
) -> None:
    """Export the network (pre/post-processing stay outside, in float)."""
    clikit.one_of("--format", fmt, ("onnx", "tflite"))
    clikit.one_of("--io", io, ("split", "packed"))
    guard_output(out, inputs={"--weights": weights, "--check-pairs": check_pairs}, force=force)
    check_writable(out)
    from cribwatch.color.deploy import export_checked  # extra: train

    info = export_checked(weights, fmt, out, check_pairs=check_pairs, io=io, force=force)
    typer.echo(json.dumps(info))


@app.command("quantize")
def quantize_cmd(
    model: Path = typer.Option(..., "--model", help="FP32 ONNX from `color export`."),
    calib: Path = typer.Option(..., "--calib", help="Calibration pair set (train split)."),
    out: Path = typer.Option(..., "--out", help="Output INT8 ONNX."),
    scheme: str = typer.Option("robust", "--scheme", help="naive or robust."),
    n_calib: int = typer.Option(64, "--n-calib", help="Calibration pairs used."),
    eval_pairs: Path | None = typer.Option(
        None, "--eval", help="Held-out pair set: compare INT8 with FP32 on it."
    ),
    debug: bool = typer.Option(False, "--debug", help="Per-tensor SQNR against FP32."),
    force: bool = clikit.force_option(),
) -> None:
    """8-bit post-training quantization with ONNX Runtime (naive or robust scheme)."""
    clikit.one_of("--scheme", scheme, ("naive", "robust"))
    _int("--n-calib", n_calib, 1, MAX_PAIRS)
    inputs: dict[str, str | os.PathLike[str] | None] = {
        "--model": model,
        "--calib": calib,
        "--eval": eval_pairs,
    }
    guard_output(out, inputs=inputs, force=force)
    check_writable(out)
    from cribwatch.color.deploy import quantize_checked  # extra: train

    typer.echo(json.dumps(quantize_checked(model, calib, out, scheme, n_calib, eval_pairs, debug)))


@app.command("golden")
def golden_cmd(
    model: Path = typer.Option(..., "--model", help="Exported colour ONNX model."),
    pairs: Path = typer.Option(..., "--pairs", help="Pair set whose inputs are dumped."),
    out: Path = typer.Option(..., "--out", help="Golden folder to write."),
    limit: int = typer.Option(4, "--limit", help="Most samples to dump."),
    force: bool = clikit.force_option(),
) -> None:
    """Golden vectors of a colour model on a pair set (`deploy golden compare` checks them)."""
    _int("--limit", limit, 1, 10_000)
    guard_output(out, inputs={"--model": model, "--pairs": pairs}, force=force)
    from cribwatch.color.deploy import golden  # extra: train

    with clikit.progress_bar("golden", limit) as bar:
        man = golden(model, pairs, out, limit=limit, force=force, progress=bar)
    typer.echo(golden_json(man))


@app.command("bench")
def bench_cmd(
    fp32: Path | None = typer.Option(
        None, "--fp32", help="FP32 ONNX model (default: the shipped ssim-guided ONNX twin)."
    ),
    int8: Path | None = typer.Option(
        None, "--int8", help="INT8 ONNX model (default: the shipped robust INT8 file, if any)."
    ),
    frames: int = typer.Option(200, "--frames", help="Timed frames per configuration."),
    as_json: bool = typer.Option(False, "--json", help="One JSON object per line."),
    peers: Path | None = typer.Option(
        None,
        "--peers",
        help="Folder with DDColor's and EnlightenGAN's code: time their networks beside our "
        "whole pipeline (128x128, 2 threads) and print the ratios.",
    ),
    peer_frames: int = typer.Option(20, "--peer-frames", help="Timed passes of each peer."),
    tflite_fp32: Path | None = typer.Option(
        None,
        "--tflite-fp32",
        help="FP32 .tflite network for the interleaved LiteRT comparison (default: the shipped "
        "one, if any; needs ai-edge-litert, skipped with a message without it).",
    ),
    tflite_int8: Path | None = typer.Option(
        None,
        "--tflite-int8",
        help="INT8 .tflite network for the interleaved LiteRT comparison (default: the shipped "
        "one, if any).",
    ),
) -> None:
    """Per-stage timing (pre, model, post, total) at 128x128 and 640x480, 1 and 2 threads;
    then ONNX Runtime FP32/INT8 and LiteRT FP32/INT8 interleaved in one process."""
    _int("--frames", frames, 1, MAX_FRAMES)
    _int("--peer-frames", peer_frames, 1, MAX_FRAMES)
    for name, given in (("--fp32", fp32), ("--int8", int8)):
        if given is not None and not given.is_file():
            raise CribwatchError(f"{name} {given}: model file not found")
    for name, given in (("--tflite-fp32", tflite_fp32), ("--tflite-int8", tflite_int8)):
        if given is not None and not given.is_file():
            raise CribwatchError(f"{name} {given}: model file not found")
        if given is not None and given.suffix != ".tflite":
            raise CribwatchError(f"{name} {given}: not a .tflite file")
    if peers is not None:
        if not peers.is_dir():
            raise CribwatchError(f"--peers {peers}: folder not found")
        from cribwatch.color.deploy import PeerBenchConfig, bench_with_peers  # extra: train

        cfg = PeerBenchConfig(frames=frames, peer_frames=peer_frames)
        peer_rows = bench_with_peers(peers, fp32, cfg)
        for r in peer_rows:
            if as_json:
                typer.echo(json.dumps(r))
            elif "skipped" in r:
                typer.echo(r["skipped"])
            else:
                ratio = f"  ratio {r['ratio']}x" if "ratio" in r else ""
                typer.echo(
                    f"{r['name']:<13} {r['timed']:<34} {r['resolution']} {r['threads']} threads"
                    f"  p50 {r['ms_p50']} ms  p90 {r['ms_p90']} ms{ratio}"
                    f"  (load {r['load_avg_1min']})"
                )
        return
    from cribwatch.color.deploy import BenchConfig, bench_models  # extra: train

    rows = bench_models(
        fp32, int8, BenchConfig(frames=frames), tflite_fp32=tflite_fp32, tflite_int8=tflite_int8
    )
    if as_json:
        for r in rows:
            typer.echo(json.dumps(r))
        return
    _bench_table([r for r in rows if "mode" not in r and "skipped" not in r])
    inter = [r for r in rows if r.get("mode") == "interleaved"]
    if inter:
        _bench_table(inter, name_col="name", title="interleaved, one process (ms)")
    for r in rows:
        if "skipped" in r:
            typer.echo(r["skipped"])
        elif r.get("mode") == "speedup":
            ratios = "  ".join(f"{k} {v}x" for k, v in r.items() if k.startswith("int8_"))
            typer.echo(f"network speed-up {r['resolution']} {r['threads']} threads: {ratios}")


def _bench_table(
    rows: list[dict[str, Any]], name_col: str = "precision", title: str = "colour pipeline (ms)"
) -> None:
    table = Table(title=title)
    cols = [
        "resolution",
        name_col,
        "threads",
        "pre_ms_p50",
        "model_ms_p50",
        "post_ms_p50",
        "total_ms_p50",
        "total_ms_p90",
        "peak_rss_mb" if name_col == "precision" else "load_avg_1min",
    ]
    for c in cols:
        table.add_column(c)
    for r in rows:
        table.add_row(*[str(r[c]) for c in cols])
    Console().print(table)
