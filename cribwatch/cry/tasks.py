"""The library functions behind the ``cribwatch cry`` verbs: one per verb, each checks its
inputs and output paths before any work, does the work and returns what the verb prints.

Every output goes through :func:`cribwatch.io.guard_output` (inputs named, ``force``), every
folder output through :func:`cribwatch.io.atomic_dir`. Models load before their cards (a bad
model file is blamed, not its card). Torch is imported only where a ``.pt`` model or training
needs it.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from dataclasses import replace
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np

from cribwatch.cards import write_card
from cribwatch.cry import eval as ev
from cribwatch.cry import search
from cribwatch.cry.api import (
    DEFAULT_ONNX,
    DEFAULT_WEIGHTS,
    load_filter_config,
    make_scorer,
    with_filters,
)
from cribwatch.cry.audio import read_audio
from cribwatch.cry.bench import bench as run_bench
from cribwatch.cry.board_export import export_c
from cribwatch.cry.dataset import load_set
from cribwatch.cry.features import FrontEndConfig
from cribwatch.cry.golden import dump_cry_golden
from cribwatch.cry.intref import IntModel
from cribwatch.cry.mixing import SetConfig
from cribwatch.cry.negatives import negative_files
from cribwatch.cry.negatives import training_rows as negative_rows
from cribwatch.cry.postprocess import FILTERS, FilterConfig, load_config_mapping
from cribwatch.cry.pretrained import HEAD_KINDS, YAMNET_MACS
from cribwatch.cry.sounds import build_real_set, build_set
from cribwatch.cry.sources import SPLITS
from cribwatch.cry.tables import DEFAULT_GRID, build_tables
from cribwatch.cry.verifier_train import (
    HARD_TYPES,
    balance,
    set_class_scores,
    set_embeddings,
    train_verifier,
    training_selection,
    training_windows,
)
from cribwatch.cry.yamnet import DEFAULT_MODEL as YAMNET_MODEL
from cribwatch.cry.yamnet import N_CLASSES, Yamnet
from cribwatch.errors import CribwatchError
from cribwatch.io import (
    OUTPUT_MARK,
    atomic_dir,
    atomic_open,
    atomic_path,
    guard_output,
    write_json,
)
from cribwatch.progress import Progress

INT_TABLE_MODELS = {
    "8-bit PTQ": "cry_int8.cwq",
    "8-bit QAT": "cry_int8qat.cwq",
    "4-bit PTQ": "cry_int4.cwq",
    "4-bit QAT": "cry_int4qat.cwq",
}


def check_output(
    path: Path,
    *,
    option: str = "--out",
    inputs: dict[str, Any] | None = None,
    force: bool = False,
) -> Path:
    """:func:`guard_output`, then a probe that the file can be created where it goes (a
    read-only or missing-permission folder fails here, before any work, naming the path)."""
    path = Path(path)
    guard_output(path, option=option, inputs=inputs, force=force)
    if path.is_dir():
        raise CribwatchError(f"{option} {path}: cannot write (a folder is in the way)")
    folder = path.parent
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    if not folder.is_dir():
        raise CribwatchError(f"{option} {path}: cannot write ({folder} is not a folder)")
    try:
        fd, probe = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".probe", dir=folder)
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise CribwatchError(f"{option} {path}: cannot write ({reason})") from exc
    os.close(fd)
    os.unlink(probe)
    return path


def parse_floats(option: str, text: str) -> tuple[float, ...]:
    """A comma list of finite numbers (``--grid``, ``--far``)."""
    try:
        values = tuple(float(t) for t in text.split(","))
    except ValueError as exc:
        raise CribwatchError(f"{option}: not a comma list of numbers ({text!r})") from exc
    if not values or not all(np.isfinite(values)):
        raise CribwatchError(f"{option}: not a comma list of finite numbers ({text!r})")
    return values


def thresholds(grid: str | None) -> tuple[float, ...]:
    """The ``--grid`` option: a comma list of thresholds in (0, 1), or DEFAULT_GRID."""
    if grid is None:
        return DEFAULT_GRID
    values = parse_floats("--grid", grid)
    if not all(0.0 < t < 1.0 for t in values):
        raise CribwatchError("--grid: thresholds must lie strictly between 0 and 1")
    return values


def parse_filters(text: str) -> tuple[str, ...]:
    """The ``--filters`` option: a comma list of filter names (empty: none)."""
    names = tuple(f for f in text.split(",") if f)
    for n in names:
        if n not in FILTERS:
            raise CribwatchError(f"--filters: unknown filter {n!r} (one of {', '.join(FILTERS)})")
    return names


# ----------------------------------------------------------------------------- sets


def make_set(
    out: Path,
    *,
    hours: float,
    seed: int,
    split: str,
    cryfree_hours: float | None,
    data_dir: Path,
    synth_range: str,
    real_aug: float,
    real_share: float,
    force: bool = False,
    progress: Progress | None = None,
) -> dict[str, object]:
    """``cry make-set``: a synthetic cry set written whole into ``out`` (atomic folder)."""
    if split not in SPLITS:
        raise CribwatchError(f"--split: unknown value {split!r} (one of {', '.join(SPLITS)})")
    guard_output(out, inputs={"--data-dir": data_dir}, force=force)
    with atomic_dir(out, force=force) as tmp:
        return build_set(
            tmp,
            hours=hours,
            seed=seed,
            split=split,
            cryfree_hours=cryfree_hours,
            data_dir=data_dir,
            synth_range=synth_range,
            cfg=SetConfig(real_share=real_share, real_aug_p=real_aug),
            progress=progress,
        )


def make_real_set(
    out: Path, *, data_dir: Path, seed: int, force: bool = False, progress: Progress | None = None
) -> dict[str, object]:
    """``cry make-real-set``: the independent real test set (atomic folder)."""
    guard_output(out, inputs={"--data-dir": data_dir}, force=force)
    with atomic_dir(out, force=force) as tmp:
        return build_real_set(tmp, data_dir=data_dir, seed=seed, progress=progress)


# ----------------------------------------------------------------------------- training


def train_model(
    data: list[Path],
    out: Path,
    *,
    minutes: float,
    steps: int,
    seed: int,
    threads: int,
    augment: str,
    keep: str,
    stem: int,
    channels: str,
    strides: str,
    init: Path | None,
    lr: float,
    hard_share: float,
    real_babies: float,
    force: bool = False,
    progress: Progress | None = None,
    on_validation: Callable[[int, float, float], None] | None = None,
) -> dict[str, object]:
    """``cry train``: check the architecture against the board budget, the sets and the
    initial checkpoint, then train and write the checkpoint."""
    # extra: train (the model and training need torch)
    from cribwatch.cry.model import (  # extra: train
        MAX_MACS,
        MAX_PARAMS,
        WINDOW_FRAMES,
        CryNet,
        CryNetConfig,
        count_macs,
        count_params,
        load_model,
    )
    from cribwatch.cry.train import TrainConfig, strong_augment, train  # extra: train

    try:
        ch = tuple(int(v) for v in channels.split(","))
        st = tuple(int(v) for v in strides.split(","))
    except ValueError as exc:
        raise CribwatchError(f"--channels/--strides: not comma-separated integers ({exc})") from exc
    if len(ch) != len(st) or stem < 1 or min(ch) < 1 or not set(st) <= {1, 2}:
        raise CribwatchError(
            "--channels and --strides need one positive width and a stride 1/2 each"
        )
    arch = CryNetConfig(stem=stem, channels=ch, strides=st)
    probe = CryNet(arch)
    n_par = count_params(probe)
    n_mac = count_macs(probe, (1, 1, WINDOW_FRAMES, FrontEndConfig().n_mels))
    if n_par > MAX_PARAMS or n_mac > MAX_MACS:
        raise CribwatchError(
            f"architecture over the board budget: {n_par} parameters (max {MAX_PARAMS}), "
            f"{n_mac} MACs per window (max {MAX_MACS})"
        )
    inputs: dict[str, Any] = {"--init": init}
    inputs.update({f"--data {d}": d for d in data})
    check_output(out, inputs=inputs, force=force)
    if init is not None:
        load_model(str(init))  # a bad --init fails here, before the sets are read
    for d in data:
        load_set(d)  # a bad set fails here, naming its file and line
    cfg = TrainConfig(
        real_babies=real_babies,
        minutes=minutes,
        steps=steps,
        seed=seed,
        threads=threads,
        keep=keep,
        lr=lr,
        hard_share=hard_share,
    )
    if augment == "strong":
        cfg = strong_augment(cfg)
    meta = train(
        list(data), out, cfg, arch, init=init, progress=progress, on_validation=on_validation
    )
    return {k: meta[k] for k in ("steps", "minutes", "val_loss", "params", "macs")}


# ----------------------------------------------------------------------------- evaluation


def _scored(data: Path, model: Path, hop_s: float, progress: Progress | None):  # type: ignore[no-untyped-def]
    s, an = ev.load_and_analyse(data, progress=progress)
    ev.score_set(
        an,
        make_scorer(model),
        progress=progress,
        hop_s=hop_s,
        audio=lambda f: read_audio(s.audio_path(f)),
    )
    return s, an


def evaluate(
    data: Path,
    model: Path = DEFAULT_WEIGHTS,
    config: Path | None = None,
    *,
    det_curve: Path | None = None,
    filters: str | None = None,
    force: bool = False,
    progress: Progress | None = None,
) -> dict[str, object]:
    """``cry eval``: sensitivity, false alarms per hour, event F1/ER, latency."""
    if det_curve is not None:
        check_output(
            det_curve,
            option="--det-curve",
            inputs={"--data": data, "--model": model, "--config": config},
            force=force,
        )
    load_set(data)
    make_scorer(model)  # the model file is checked before its card
    cfg = load_filter_config(config, model)
    if filters is not None:
        cfg = with_filters(cfg, parse_filters(filters))
    s, an = _scored(data, model, cfg.hop_s, progress)
    res, _ = ev.evaluate(s, ev.detect_set(an, cfg), {f: a.duration for f, a in an.items()})
    res["threshold"] = cfg.threshold
    res["filters"] = list(cfg.enabled)
    if det_curve is not None:
        curve = ev.sweep(s, an, cfg, np.linspace(0.05, 0.995, 40))
        ev.plot_det(curve, det_curve)
        res["det_curve"] = str(det_curve)
    return res


def tune(
    data: Path,
    max_far: float,
    model: Path = DEFAULT_WEIGHTS,
    config: Path | None = None,
    out: Path | None = None,
    *,
    search_filters: bool = False,
    hop: float | None = None,
    force: bool = False,
    progress: Progress | None = None,
) -> dict[str, object]:
    """``cry tune``: the threshold (and with ``search_filters`` the filter settings) with the
    best sensitivity at most ``max_far`` false alarms per hour. Writes the tuned config only to
    ``out`` (nothing is written without it); returns the result and the config."""
    if out is not None:
        check_output(
            out, inputs={"--data": data, "--model": model, "--config": config}, force=force
        )
    load_set(data)
    make_scorer(model)
    cfg = load_filter_config(config, model)
    if hop is not None:
        m_off = max(1, int(round(cfg.m_off * cfg.hop_s / hop)))
        cfg = load_config_mapping({**cfg.to_dict(), "hop_s": hop, "m_off": m_off}, "--hop")
    s, an = _scored(data, model, cfg.hop_s, progress)
    grid = np.asarray(DEFAULT_GRID)
    if search_filters:
        cfg, point = search.search_filters(s, an, cfg, grid, max_far)
        cfg, timing = search.search_event_timing(s, an, cfg, max_far)
        point = {**point, **timing}
        thr = cfg.threshold
    else:
        curve = ev.sweep(s, an, cfg, grid)
        thr = search.pick_threshold(curve, max_far)
        point = next(c for c in curve if c["threshold"] == thr)
        cfg = replace(cfg, threshold=thr)
    body = {
        "detector": cfg.to_dict(),
        "tuned_on": str(data),
        "max_far": max_far,
        **point,
        "written_by": OUTPUT_MARK,
    }
    if out is not None:
        write_json(out, body)
    return {
        "threshold": thr,
        "config": str(out) if out is not None else None,
        **point,
        "detector": cfg.to_dict(),
    }


def compare(
    data: Path,
    configs_given: list[Path],
    models_given: list[Path],
    far: str,
    grid: str | None,
    progress: Progress | None = None,
) -> tuple[dict[str, Any], set[Any]]:
    """``cry compare``: detectors side by side at matched false-alarm rates and paired at
    their own thresholds; returns the result and the cry sources present in the set."""
    n = max(len(models_given), len(configs_given))
    if n < 2:
        raise CribwatchError("compare: give at least two --config or two --model")
    for name, given in (("--model", models_given), ("--config", configs_given)):
        if len(given) not in (0, 1, n):
            raise CribwatchError(f"{name}: give it once, or {n} times (one per detector)")
    models = (
        list(models_given)
        if len(models_given) == n
        else (list(models_given) or [DEFAULT_WEIGHTS]) * n
    )
    configs: list[Path | None] = (
        list(configs_given) if len(configs_given) == n else [*configs_given, None][:1] * n
    )
    grid_t = thresholds(grid)
    fars = parse_floats("--far", far)
    if not all(f >= 0 for f in fars):
        raise CribwatchError(f"--far: false-alarm bounds must be >= 0 ({far!r})")
    load_set(data)
    for m in dict.fromkeys(models):
        make_scorer(m)
    cfgs = [load_filter_config(c, m) for c, m in zip(configs, models, strict=True)]
    if len({c.hop_s for c in cfgs}) != 1:
        raise CribwatchError("--config: the configs must share hop_s (one scoring of the set)")
    s, an = ev.load_and_analyse(data, progress=progress)
    scored: dict[Path, dict[str, ev.FileAnalysis]] = {}
    for m in models:
        if m not in scored:
            scored[m] = {f: replace(fa) for f, fa in an.items()}
            ev.score_set(
                scored[m],
                make_scorer(m),
                progress=progress,
                hop_s=cfgs[0].hop_s,
                audio=lambda f: read_audio(s.audio_path(f)),
            )
    res = ev.compare_detectors(s, [scored[m] for m in models], cfgs, np.asarray(grid_t), fars)
    res["detectors"] = [
        {"model": str(m), "config": str(c) if c else None}
        for m, c in zip(models, configs, strict=True)
    ]
    kinds = {r.get("source") for rows in s.cries.values() for r in rows}
    return res, kinds


def tables(
    test: Path,
    ood: Path | None,
    model: Path = DEFAULT_WEIGHTS,
    config: Path | None = None,
    *,
    int_dir: Path = DEFAULT_WEIGHTS.parent,
    max_far: float = 1.0,
    out: Path | None = None,
    json_out: Path | None = None,
    det_curve: Path | None = None,
    grid: str | None = None,
    force: bool = False,
    progress: Progress | None = None,
) -> str:
    """``cry tables``: the markdown tables of docs/results/cry.md (and their raw numbers)."""
    inputs: dict[str, Any] = {"--test": test, "--ood": ood, "--model": model, "--config": config}
    for option, path in (("--out", out), ("--json-out", json_out), ("--det-curve", det_curve)):
        if path is not None:
            check_output(path, option=option, inputs=inputs, force=force)
    grid_t = thresholds(grid)
    load_set(test)
    if ood is not None:
        load_set(ood)
    make_scorer(model)
    cfg = load_filter_config(config, model)
    ints = {name: int_dir / f for name, f in INT_TABLE_MODELS.items()}
    md, raw = build_tables(test, ood, model, ints, cfg, max_far, progress=progress, grid=grid_t)
    if det_curve is not None:
        ev.plot_det(raw["det_curve"], det_curve)  # type: ignore[arg-type]
    if out is not None:
        with atomic_open(out) as fh:
            fh.write(md + "\n")
    if json_out is not None:
        write_json(json_out, {**raw, "written_by": OUTPUT_MARK})
    return md


# ----------------------------------------------------------------------------- deployment


def quantize(
    *,
    bits: int,
    method: str,
    out: Path,
    weights: Path = DEFAULT_WEIGHTS,
    data: list[Path],
    qat_minutes: float,
    qat_steps: int,
    distill: float,
    seed: int,
    force: bool = False,
    progress: Progress | None = None,
) -> dict[str, object]:
    """``cry quantize``: the integer model (.cwq) and its ONNX QDQ twin beside it."""
    # extra: train
    import torch  # extra: train

    from cribwatch.cry.model import load_model  # extra: train
    from cribwatch.cry.quantize import export_qdq_onnx, quantize_model  # extra: train

    if out.suffix.lower() != ".cwq":
        raise CribwatchError(f"--out {out}: an integer model is a .cwq file")
    onnx_path = out.with_suffix(".onnx")
    inputs: dict[str, Any] = {"--weights": weights}
    inputs.update({f"--data {d}": d for d in data})
    check_output(out, inputs=inputs, force=force)
    check_output(onnx_path, option="--out (its .onnx)", inputs=inputs, force=force)
    torch.set_num_threads(1)
    model, _ = load_model(str(weights))
    for d in data:
        load_set(d)
    im = quantize_model(
        model,
        data[0],
        bits,
        method,
        qat_minutes=qat_minutes,
        qat_steps=qat_steps,
        qat_data=list(data),
        distill=distill,
        seed=seed,
        progress=progress,
    )
    size = im.save(out)
    onnx_size = export_qdq_onnx(im, onnx_path)
    return {
        "bits": bits,
        "method": method,
        "out": str(out),
        "bytes": size,
        "onnx": str(onnx_path),
        "onnx_bytes": onnx_size,
    }


def export_fp32_onnx(weights: Path, out: Path, *, force: bool = False) -> dict[str, object]:
    """The float checkpoint as an FP32 ONNX model (opset 17, input ``input`` (B, 1, 98, 64)
    float 0-255, output ``logit`` (B,)), marked ``written_by`` in its metadata, with its parity
    against PyTorch on random windows. This is how ``cribwatch/weights/cry.onnx`` is made::

        cribwatch cry export --weights cribwatch/weights/cry.pt --out cribwatch/weights/cry.onnx
    """
    # extra: train
    import onnx  # extra: train
    import torch  # extra: train

    from cribwatch.cry.model import load_model  # extra: train
    from cribwatch.deploy.export import export_onnx, parity  # extra: train

    check_output(out, inputs={"--weights": weights}, force=force)
    model, _ = load_model(str(weights))
    tmp_out = out.with_name(f".{out.name}.export.onnx")
    try:
        export_onnx(
            model,
            (torch.zeros(1, 1, 98, 64),),
            tmp_out,
            input_names=["input"],
            output_names=["logit"],
        )
        proto = onnx.load(str(tmp_out))
        for key, value in (("written_by", OUTPUT_MARK), ("source", weights.name)):
            entry = proto.metadata_props.add()
            entry.key, entry.value = key, value
        with atomic_path(out) as tmp:
            onnx.save(proto, str(tmp))
    finally:
        tmp_out.unlink(missing_ok=True)
    rng = np.random.default_rng(0)
    err = parity(model, out, [np.rint(rng.uniform(0, 255, (4, 1, 98, 64))).astype(np.float32)])
    return {"out": str(out), "bytes": out.stat().st_size, "parity_max_abs": err}


def export(
    out: Path,
    *,
    weights: Path = DEFAULT_WEIGHTS,
    fmt: str = "onnx",
    int_model: Path = DEFAULT_WEIGHTS.with_name("cry_int8.cwq"),
    config: Path | None = None,
    force: bool = False,
) -> dict[str, object]:
    """``cry export``: the float model as ONNX, or (``fmt`` c) the integer model and detector
    settings as the board runtime's blob and C header, written as one folder."""
    if fmt not in ("onnx", "c"):
        raise CribwatchError(f"--format: unknown value {fmt!r} (one of onnx, c)")
    if fmt == "onnx":
        return export_fp32_onnx(weights, out, force=force)
    inputs: dict[str, Any] = {"--int-model": int_model, "--config": config}
    if out.exists() and not out.is_dir():
        raise CribwatchError(f"--out {out}: cannot write (a file is in the way)")
    guard_output(out, inputs=inputs, force=force)
    IntModel.load(int_model)  # the model file is checked before its card
    cfg = load_filter_config(config, int_model)
    return export_c(int_model, out, cfg, force=force)  # one folder, swapped in whole


def golden(
    model: Path, audio: Path, out: Path, windows: int, *, force: bool = False
) -> dict[str, object]:
    """``cry golden``: golden vectors of the front end and the integer model (one folder)."""
    if windows < 1:
        raise CribwatchError(f"--windows: must be at least 1, not {windows}")
    if out.exists() and not out.is_dir():
        raise CribwatchError(f"--out {out}: cannot write (a file is in the way)")
    guard_output(out, inputs={"--model": model, "--audio": audio}, force=force)
    man = dump_cry_golden(model, audio, out, windows, force=force)  # one folder, whole
    return {
        "out": str(out),
        "samples": len(man["samples"]),  # type: ignore[arg-type]
        "tensors": len(man["tensors"]),  # type: ignore[arg-type]
    }


def bench(
    cwq: Path,
    onnx_int: Path,
    onnx_fp32: Path | None,
    *,
    n: int,
    rss_hours: float,
    config: Path | None,
) -> dict[str, object]:
    """``cry bench``: time per window, real-time factor, detector peak RSS."""
    IntModel.load(cwq)  # the model file is checked before its card
    for p in (onnx_int, onnx_fp32):
        if p is not None:
            make_scorer(p)
    cfg = load_filter_config(config, cwq)
    return run_bench(cwq, onnx_int, onnx_fp32, n=n, rss_hours=rss_hours, cfg=cfg)


def filter_config(config: Path | None, model: Path) -> FilterConfig:
    """The detector config a verb uses (after the model file was checked)."""
    make_scorer(model)
    return load_filter_config(config, model)


# ----------------------------------------------------------------------------- verifier


KIND_WORDS = {
    "scores": "521 class scores",
    "embedding": "1024-d embedding",
    "embedding+scores": "1024-d embedding and 521 class scores",
}
KIND_INPUTS = {
    "scores": "logit of the 521 YAMNet class scores (clipped to [1/512, 511/512]), scaled",
    "embedding": "YAMNet's pooled 1024-d embedding (int8 graph tensor layer28/reduce_mean, "
    "dequantized: code * 0.023313), scaled",
    "embedding+scores": "the dequantized 1024-d embedding, then the logits of the 521 class "
    "scores, scaled",
}
TRAINING_LICENCES = {
    "Donate-a-cry corpus (real infant cries)": "ODbL-1.0",
    "tuxpaint-stamps-default (animal, household, spoken descriptions)": "GPL-2+",
    "ktuberling-data (spoken words)": "GPL-2+",
    "sound-theme-freedesktop (household alert sounds)": "GPL-2+ / CC-BY-SA",
    "supertux-data (music)": "GPL-3+ / CC-BY-SA",
    "espeak-ng, espeak-ng-data (synthesized speech)": "GPL-3+",
}
"""Licences of the cry sets' sources (as in cry.json), listed on every verifier card."""
NEGATIVE_LICENCES = {
    "oxygen-sounds (desktop alerts)": "LGPL-3+",
    "lbreakout2-data, kgoldrunner (game effects)": "GPL-2+",
    "pingus-data (game voices, effects, tracker music)": "GPL-2+",
    "tuxtype-data (spoken words, effects, tracker music)": "GPL-2",
    "frozen-bubble-data (game music, effects)": "GPL-2",
    "extremetuxracer-data (game music, effects)": "GPL-2+ / CC0 / Expat",
    "lincity-ng-data (city ambience, music)": "GPL-2+ (sound effects dual-licensed)",
    "scratch (Scratch 1.4 sound library: animals, household and human sounds)": "CC-BY-SA-3.0",
    "hedgewars-data (human non-cry voices, game effects, music)": "GFDL-1.3 (sounds) / GPL-2",
    "gcompris-qt-data (farm animals, everyday sounds, world music)": "GPL-3+",
    "blinken (game effects)": "GPL-2+",
}
"""Licences of the ``negatives`` group of ``data fetch`` (cribwatch/data/fetch.py)."""


def distill_model(
    data: list[Path],
    out: Path,
    *,
    teacher: str,
    verifier: Path | None,
    teacher_weight: float,
    steps: int,
    minutes: float,
    seed: int,
    batch: int,
    threads: int,
    augment: str,
    keep: str,
    force: bool = False,
    progress: Progress | None = None,
) -> dict[str, object] | None:
    """``cry distill``: check the sets, train the board CNN against YAMNet's scores
    (:func:`cribwatch.cry.distill.distill`) and write the checkpoint. Under torchrun every
    rank trains; rank 0 returns the summary, the others None."""
    for d in data:
        if not d.is_dir():
            raise CribwatchError(f"--data: {d}: cry set folder not found")
    from cribwatch.cry import distill as dl  # extra: train
    from cribwatch.cry.train import (  # extra: train
        TrainConfig,
        dist_rank,
        finish_dist,
        strong_augment,
    )

    cfg = TrainConfig(
        minutes=minutes,
        steps=steps,
        seed=seed,
        batch=batch,
        threads=threads,
        keep=keep,
        teacher_weight=teacher_weight,
    )
    if augment == "strong":
        cfg = strong_augment(cfg)
    meta = dl.distill(list(data), out, cfg, teacher, verifier, force=force, progress=progress)
    finish_dist()
    if dist_rank() != 0:
        return None
    keys = ("steps", "minutes", "val_loss", "params", "macs", "world_size")
    return {k: meta.get(k) for k in keys}


def train_verifier_head(
    data: list[Path],
    out: Path,
    *,
    hidden: int = 32,
    steps: int = 3000,
    seed: int = 0,
    gate: float = 0.9,
    threshold: float = 0.5,
    first_stage: Path = DEFAULT_ONNX,
    kind: str = "scores",
    negatives: Path | None = None,
    confirm_score: float = 0.0,
    negative_weight: float = 3.0,
    force: bool = False,
    progress: Progress | None = None,
) -> dict[str, object]:
    """``cry train-verifier``: the YAMNet verifier head on cry sets, written as ``out``
    (``.npz``) with its card (``out`` with ``.json``): the cascade behind ``first_stage`` at
    ``gate``, and the detector chain of ``first_stage``'s card with ``threshold``.

    Windows scored by YAMNet (cached in each set's ``.cache/``):
    :func:`cribwatch.cry.verifier_train.training_selection`."""
    if Path(out).suffix.lower() != ".npz":
        raise CribwatchError(f"--out {out}: a verifier is written as .npz")
    card_out = Path(out).with_suffix(".json")
    inputs: dict[str, Any] = {f"--data {i}": d for i, d in enumerate(data)}
    check_output(out, inputs={**inputs, "--first-stage": first_stage}, force=force)
    check_output(card_out, option="--out (card)", inputs=inputs, force=force)
    if first_stage.suffix.lower() not in (".onnx", ".cwq", ".pt"):
        raise CribwatchError(
            f"--first-stage {first_stage}: want a board cry model (.onnx, .cwq, .pt)"
        )
    if first_stage.resolve().parent != Path(out).resolve().parent:
        raise CribwatchError(
            f"--first-stage {first_stage}: must lie in the folder of --out (the card names it)"
        )
    if kind not in HEAD_KINDS:
        raise CribwatchError(f"--kind: unknown value {kind!r} (one of {', '.join(HEAD_KINDS)})")
    if negatives is not None:
        negative_files(negatives, "fit")  # checked before anything is computed
    sets = [load_set(d) for d in data]
    first = make_scorer(first_stage)  # the first stage must load before anything is trained
    chain = load_filter_config(None, first_stage)
    pooled = []
    embs: list[dict[str, np.ndarray]] = []
    for s in sets:
        sel = partial(training_selection, s)
        if kind == "scores":
            sc, done = set_class_scores(s, chain.hop_s, select=sel, tag="train-v2")
        else:
            sc, em, done = set_embeddings(s, chain.hop_s, select=sel, tag="train-v2")
            embs.append(em)
        pooled.append((s, sc, done))
    x, y, w = training_windows(pooled, chain.hop_s, embeddings=embs if embs else None)
    n_neg = 0
    if negatives is not None:
        xn, cn, _ = negative_rows(negatives, first, Yamnet(embedding=True), hop_s=chain.hop_s)
        xn = xn if kind != "scores" else xn[:, :N_CLASSES]
        wn = np.where(cn >= 0.5, negative_weight, 1.0) * float(w[y == 0].mean())
        x, y = np.concatenate([x, xn]), np.concatenate([y, np.zeros(len(xn))])
        w = balance(y, np.concatenate([w, wn]))
        n_neg = len(xn)
    head = train_verifier(
        x, y, w, hidden=hidden, steps=steps, seed=seed, progress=progress, kind=kind
    )
    head.save(Path(out))
    card = {
        "format": "cribwatch-card",
        "version": 1,
        "capability": "cry",
        "model": f"cry verifier: a small head on YAMNet's {KIND_WORDS[kind]} of a window's "
        "0.96 s patch; the second stage of the cascade behind the board CNN",
        "weights": Path(out).name,
        "yamnet": YAMNET_MODEL.name,
        "cascade": {"first_stage": first_stage.name, "gate": gate},
        "architecture": {
            "type": "yamnet-class-score-head" if kind == "scores" else "yamnet-embedding-head",
            "kind": kind,
            "input": KIND_INPUTS[kind],
            "hidden": hidden,
            "params": head.params,
            "macs": head.macs,
            "yamnet_macs": YAMNET_MACS,
        },
        "training": {
            "data": [str(d) for d in data],
            "windows": int(len(y)),
            "cry_windows": int(y.sum()),
            "negative_windows": n_neg,
            "negatives": str(negatives) if negatives is not None else None,
            "steps": steps,
            "seed": seed,
            "hard_negatives": "noise types "
            + ", ".join(HARD_TYPES)
            + " and windows YAMNet scores >= 0.1 for class 20 weigh 3x",
        },
        "licences": {
            "head": "Apache-2.0 (cribwatch)",
            "YAMNet": f"Apache-2.0 ({YAMNET_MODEL.name}, "
            f"see {YAMNET_MODEL.with_suffix('.json').name})",
            "AudioSet": "CC-BY-4.0 (YAMNet's training data, not shipped)",
            **TRAINING_LICENCES,
            **(NEGATIVE_LICENCES if negatives is not None else {}),
        },
        "detector": {**chain.to_dict(), "threshold": threshold, "confirm_score": confirm_score},
        "written_by": OUTPUT_MARK,
    }
    write_card(card_out, card)
    return {
        "out": str(out),
        "card": str(card_out),
        "windows": int(len(y)),
        "cry_windows": int(y.sum()),
        "params": head.params,
        "macs": head.macs,
    }
