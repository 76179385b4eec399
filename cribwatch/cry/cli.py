"""``cribwatch cry ...``: thin verbs over the cry library."""

from __future__ import annotations

import itertools
import json
import sys
from pathlib import Path

import typer

from cribwatch.errors import CribwatchError

app = typer.Typer(help="Infant cry detection.", no_args_is_help=True)

DEFAULT_WEIGHTS = Path(__file__).resolve().parent.parent / "weights" / "cry.pt"


def _thresholds(grid: str | None) -> tuple[float, ...]:
    """The --grid option of tables and compare: a comma list of thresholds in (0, 1), or
    tables.DEFAULT_GRID."""
    from cribwatch.cry.tables import DEFAULT_GRID

    try:
        thresholds = DEFAULT_GRID if grid is None else tuple(float(t) for t in grid.split(","))
    except ValueError as exc:
        raise CribwatchError(f"--grid: not a comma list of numbers ({grid!r})") from exc
    if not thresholds or not all(0.0 < t < 1.0 for t in thresholds):
        raise CribwatchError("--grid: thresholds must lie strictly between 0 and 1")
    return thresholds


def _bar(desc: str):  # type: ignore[no-untyped-def]
    from tqdm import tqdm

    state: dict[str, object] = {}

    def cb(done: int, total: int) -> None:
        if "bar" not in state:
            state["bar"] = tqdm(total=total, desc=desc, file=sys.stderr)
        bar = state["bar"]
        bar.n = done  # type: ignore[attr-defined]
        bar.refresh()  # type: ignore[attr-defined]
        if done >= total:
            bar.close()  # type: ignore[attr-defined]

    return cb


@app.command("make-set")
def make_set_cmd(
    out: Path = typer.Option(..., "--out", help="Folder of the new cry set."),
    hours: float = typer.Option(..., "--hours", help="Hours of 30 s mixtures (one cry each)."),
    seed: int = typer.Option(0, "--seed", help="Seed of everything random."),
    split: str = typer.Option(
        "train",
        "--split",
        help="train or test (disjoint sources); fit and val divide train's sources "
        "(tune a model trained on fit sets on a val set).",
    ),
    cryfree_hours: float | None = typer.Option(
        None, "--cryfree-hours", help="Hours of long cry-free recordings (default: --hours)."
    ),
    synth_range: str = typer.Option(
        "in", "--synth-range", help="in: training ranges; out: outside them (generalisation set)."
    ),
    data_dir: Path = typer.Option(
        Path("data"), "--data-dir", help="Where 'cribwatch data fetch' put the sources."
    ),
    real_aug: float = typer.Option(
        0.0, "--real-aug", help="Share of real cries replaced by a variant (pitch, room, mic)."
    ),
    real_share: float = typer.Option(
        0.6, "--real-share", help="Share of mixture cries that are real recordings."
    ),
) -> None:
    """Write a cry set: mixtures, cry-free and very quiet recordings, labels and noise types."""
    from cribwatch.cry.sounds import SetConfig, build_set

    if synth_range not in ("in", "out"):
        raise CribwatchError("--synth-range must be in or out")
    if not (0.0 <= real_aug <= 1.0 and 0.0 <= real_share <= 1.0):
        raise CribwatchError("--real-aug and --real-share must lie between 0 and 1")
    man = build_set(
        out,
        hours=hours,
        seed=seed,
        split=split,
        cryfree_hours=cryfree_hours,
        data_dir=data_dir,
        synth_range=synth_range,
        cfg=SetConfig(real_share=real_share, real_aug_p=real_aug),
        progress=_bar("make-set"),
    )
    typer.echo(json.dumps({k: man[k] for k in ("format", "split", "seed", "hours", "files")}))


@app.command("make-real-set")
def make_real_set_cmd(
    out: Path = typer.Option(..., "--out", help="Folder of the new cry set."),
    data_dir: Path = typer.Option(
        Path("data"), "--data-dir", help="Where 'cribwatch data fetch' put the sources."
    ),
    seed: int = typer.Option(0, "--seed", help="Order of the cry-free recordings."),
) -> None:
    """Independent real test set: unlisted Donate-a-cry cries, Asterisk sounds as cry-free."""
    from cribwatch.cry.sounds import build_real_set

    man = build_real_set(out, data_dir=data_dir, seed=seed, progress=_bar("make-real-set"))
    typer.echo(json.dumps({k: man[k] for k in ("format", "split", "hours", "files")}))


@app.command("train")
def train_cmd(
    data: list[Path] = typer.Option(..., "--data", help="Training cry set (repeat to pool sets)."),
    out: Path = typer.Option(..., "--out", help="Checkpoint to write (atomically)."),
    minutes: float = typer.Option(40.0, "--minutes", help="Training time budget (min)."),
    steps: int = typer.Option(
        0, "--steps", help="Optimizer steps that define the run (0: --minutes defines it)."
    ),
    seed: int = typer.Option(0, "--seed", help="Seed."),
    threads: int = typer.Option(1, "--threads", help="torch threads."),
    augment: str = typer.Option(
        "basic",
        "--augment",
        help="basic (level shift, frequency mask) or strong (also mel "
        "shift, time mask, mixing with cry-free windows).",
    ),
    keep: str = typer.Option("best", "--keep", help="best (validation loss) or last."),
    stem: int = typer.Option(16, "--stem", help="Channels of the first convolution."),
    channels: str = typer.Option(
        "32,48,64,96", "--channels", help="Output channels of the depthwise-separable blocks."
    ),
    strides: str = typer.Option("2,2,1,2", "--strides", help="Stride of each block (1 or 2)."),
    init: Path | None = typer.Option(
        None, "--init", help="Start from this checkpoint (fine-tune; its architecture is kept)."
    ),
    lr: float = typer.Option(3e-3, "--lr", help="Peak learning rate (cosine decay)."),
    hard_share: float = typer.Option(
        0.0,
        "--hard-share",
        help="Share of each batch drawn from mined hard negatives (cry-free windows the "
        "model scores highest, mined again every 1000 steps); 0: off.",
    ),
    real_babies: float = typer.Option(
        1.0,
        "--real-babies",
        help="Share of Donate-a-cry app instances whose real cries training may use (files "
        "with cries of the others are left out; nested by a hash: a learning curve); 1: all.",
    ),
) -> None:
    """Train the tiny CNN (fixed steps or time budget); keeps the best or the last checkpoint."""
    from cribwatch.cry.features import FrontEndConfig
    from cribwatch.cry.model import (
        MAX_MACS,
        MAX_PARAMS,
        WINDOW_FRAMES,
        CryNet,
        CryNetConfig,
        count_macs,
        count_params,
    )
    from cribwatch.cry.train import TrainConfig, strong_augment, train

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

    if augment not in ("basic", "strong"):
        raise CribwatchError(f"--augment must be basic or strong, not {augment!r}")
    if not 0.0 <= hard_share < 1.0:
        raise CribwatchError(f"--hard-share must be in [0, 1), not {hard_share}")
    if not lr > 0:
        raise CribwatchError(f"--lr must be positive, not {lr}")
    if not 0.0 <= real_babies <= 1.0:
        raise CribwatchError(f"--real-babies must be in [0, 1], not {real_babies}")
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
    meta = train(list(data), out, cfg, arch, init=init)
    typer.echo(json.dumps({k: meta[k] for k in ("steps", "minutes", "val_loss", "params", "macs")}))


def user_config_path() -> Path:
    """Where ``cribwatch cry tune`` writes the detector config by default."""
    import os

    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "cribwatch" / "cry-detector.json"


def integer_model_name(weights: Path) -> str:
    """The name an integer model (``.cwq``, or its ``.onnx``) has in its card's lists."""
    return weights.with_suffix(".cwq").name


def family_card(weights: Path) -> tuple[Path, dict[str, object]] | None:
    """The card of the float model an integer model (``.cwq``, or its ``.onnx``) was made
    from: a JSON card in the same folder whose ``integer_models`` lists it."""
    from cribwatch.io import read_json

    name = integer_model_name(weights)
    folder = weights.parent if str(weights.parent) else Path(".")
    for card in sorted(folder.glob("*.json")):
        try:
            d = read_json(card)
        except CribwatchError:
            continue
        if isinstance(d, dict) and name in (d.get("integer_models") or {}):
            return card, d
    return None


def load_filter_config(config: Path | None, weights: Path):  # type: ignore[no-untyped-def]
    """The detector config: --config, else the user's tuned config, else the model card's;
    an integer model without a card of its own takes its float model's card, with its own
    detector and threshold where that card's ``integer_detectors`` has them."""
    from dataclasses import replace

    from cribwatch.cry.postprocess import FilterConfig
    from cribwatch.io import read_json

    for p in (config, user_config_path() if config is None else None):
        if p is not None and (p.exists() or p == config):
            d = read_json(p)
            try:
                return FilterConfig.from_dict(d.get("detector", d))
            except CribwatchError as exc:
                raise CribwatchError(f"{p}: {exc.message}") from exc
            except (TypeError, AttributeError) as exc:
                raise CribwatchError(f"{p}: not a detector config ({exc})") from exc
    card = weights.with_suffix(".json")
    if card.exists():
        d = read_json(card)
        if "detector" in d:
            return FilterConfig.from_dict(d["detector"])
    fam = family_card(weights) if weights.suffix.lower() in (".cwq", ".onnx") else None
    if fam is not None and "detector" in fam[1]:
        cfg = FilterConfig.from_dict(fam[1]["detector"])  # type: ignore[arg-type]
        table = fam[1].get("integer_detectors") or {}
        own = table.get(integer_model_name(weights)) if isinstance(table, dict) else None
        if isinstance(own, dict) and isinstance(own.get("detector"), dict):
            cfg = FilterConfig.from_dict(own["detector"])  # a chain of its own
        if isinstance(own, dict) and "threshold" in own:
            cfg = replace(cfg, threshold=float(own["threshold"]))
        return cfg
    return FilterConfig()


def make_scorer(model: Path, threads: int = 1):  # type: ignore[no-untyped-def]
    """Scorer for a .pt checkpoint, an .onnx file or an integer model (.cwq)."""
    suffix = model.suffix.lower()
    if suffix == ".onnx":
        from cribwatch.cry.stream import OnnxScorer

        return OnnxScorer(model, threads=threads)
    if suffix == ".cwq":
        from cribwatch.cry.quantize import IntScorer

        return IntScorer.load(model)
    import torch

    from cribwatch.cry.model import load_model
    from cribwatch.cry.stream import TorchScorer

    torch.set_num_threads(threads)
    m, _ = load_model(str(model))
    return TorchScorer(m)


@app.command("detect")
def detect_cmd(
    audio: str = typer.Argument(
        ..., help="16 kHz WAV file, or - for raw 16 kHz mono s16le PCM on stdin."
    ),
    model: Path = typer.Option(
        DEFAULT_WEIGHTS, "--model", help="Weights: .pt, .onnx or integer .cwq."
    ),
    config: Path | None = typer.Option(
        None, "--config", help="Detector config JSON (from 'cry tune')."
    ),
    json_out: bool = typer.Option(False, "--json", help="One JSON object per detected cry."),
    block: int = typer.Option(8000, "--block", help="Samples read per block."),
) -> None:
    """Detect cries in a stream; prints each cry as soon as its bout has closed."""
    from cribwatch.cry.stream import StreamDetector, pcm_blocks, wav_blocks

    blocks = pcm_blocks(sys.stdin.buffer, block) if audio == "-" else wav_blocks(Path(audio), block)
    first = next(blocks, None)  # bad audio fails here, before the model is loaded
    if first is None:
        raise CribwatchError(f"{audio if audio != '-' else 'stdin'}: no audio samples")
    cfg = load_filter_config(config, model)
    det = StreamDetector(make_scorer(model), cfg)

    def show(ev) -> None:  # type: ignore[no-untyped-def]
        d = ev.to_dict()
        if json_out:
            typer.echo(json.dumps(d))
        else:
            typer.echo(
                f"cry {d['onset']:8.2f} - {d['offset']:8.2f} s  score {d['score']:.2f}  "
                f"(known at {d['emitted']:.2f} s)"
            )
        sys.stdout.flush()

    for b in itertools.chain([first], blocks):
        for ev in det.push(b):
            show(ev)
    for ev in det.flush():
        show(ev)


@app.command("eval")
def eval_cmd(
    data: Path = typer.Option(..., "--data", help="Cry set to evaluate on."),
    model: Path = typer.Option(DEFAULT_WEIGHTS, "--model", help="Weights: .pt, .onnx or .cwq."),
    config: Path | None = typer.Option(None, "--config", help="Detector config JSON."),
    json_out: bool = typer.Option(False, "--json", help="Print one JSON object."),
    det_curve: Path | None = typer.Option(None, "--det-curve", help="Write the DET curve (PNG)."),
    filters: str | None = typer.Option(
        None, "--filters", help="Comma list of filters to switch on (default: config's)."
    ),
) -> None:
    """Sensitivity, false alarms per hour (overall, by noise type), event F1/ER, latency."""
    from dataclasses import replace

    import numpy as np

    from cribwatch.cry import eval as ev

    cfg = load_filter_config(config, model)
    if filters is not None:
        cfg = replace(cfg, enabled=tuple(f for f in filters.split(",") if f))
    s, an = ev.load_and_analyse(data, progress=_bar("analyse"))
    ev.score_set(an, make_scorer(model), progress=_bar("score"), hop_s=cfg.hop_s)
    res, _ = ev.evaluate(s, ev.detect_set(an, cfg), {f: a.duration for f, a in an.items()})
    res["threshold"] = cfg.threshold
    res["filters"] = list(cfg.enabled)
    if det_curve is not None:
        curve = ev.sweep(s, an, cfg, np.linspace(0.05, 0.995, 40))
        ev.plot_det(curve, det_curve)
        res["det_curve"] = str(det_curve)
    if json_out:
        typer.echo(json.dumps(res))
    else:
        for k, v in res.items():
            typer.echo(f"{k:28s} {v}")


@app.command("tune")
def tune_cmd(
    data: Path = typer.Option(..., "--data", help="Your own recordings as a cry set (labels.tsv)."),
    max_far: float = typer.Option(1.0, "--max-far", help="Largest false alarms per hour allowed."),
    model: Path = typer.Option(DEFAULT_WEIGHTS, "--model", help="Weights: .pt, .onnx or .cwq."),
    config: Path | None = typer.Option(None, "--config", help="Config to start from."),
    out: Path | None = typer.Option(
        None, "--out", help="Config to write (default: the user config the detector loads)."
    ),
    json_out: bool = typer.Option(False, "--json", help="Print one JSON object."),
    search_filters: bool = typer.Option(
        False,
        "--search-filters",
        help="Also search the filter settings of eval.FILTER_GRID, then the event timing "
        "of eval.EVENT_TIMING_GRID and the onset look-back of eval.ONSET_GRID for the best "
        "event F1 at the same sensitivity.",
    ),
    hop: float | None = typer.Option(
        None,
        "--hop",
        help="Window hop (s, a multiple of 0.1 up to 0.5) instead of the start config's; "
        "the hang-over (m_off) keeps its length in seconds.",
    ),
) -> None:
    """Pick the threshold with the best sensitivity at most --max-far false alarms per hour."""
    from dataclasses import replace

    import numpy as np

    from cribwatch.cry import eval as ev
    from cribwatch.cry.postprocess import FilterConfig
    from cribwatch.cry.tables import DEFAULT_GRID
    from cribwatch.io import write_json

    cfg = load_filter_config(config, model)
    if hop is not None:
        m_off = max(1, int(round(cfg.m_off * cfg.hop_s / hop)))
        cfg = FilterConfig.from_dict({**cfg.to_dict(), "hop_s": hop, "m_off": m_off})
    s, an = ev.load_and_analyse(data, progress=_bar("analyse"))
    ev.score_set(an, make_scorer(model), progress=_bar("score"), hop_s=cfg.hop_s)
    grid = np.asarray(DEFAULT_GRID)
    if search_filters:
        cfg, point = ev.search_filters(s, an, cfg, grid, max_far)
        cfg, timing = ev.search_event_timing(s, an, cfg, max_far)
        point = {**point, **timing}
        thr = cfg.threshold
    else:
        curve = ev.sweep(s, an, cfg, grid)
        thr = ev.pick_threshold(curve, max_far)
        point = next(c for c in curve if c["threshold"] == thr)
        cfg = replace(cfg, threshold=thr)
    dest = out or user_config_path()
    write_json(
        dest, {"detector": cfg.to_dict(), "tuned_on": str(data), "max_far": max_far, **point}
    )
    res = {"threshold": thr, "config": str(dest), **point}
    typer.echo(json.dumps(res) if json_out else "\n".join(f"{k:22s} {v}" for k, v in res.items()))


@app.command("quantize")
def quantize_cmd(
    bits: int = typer.Option(8, "--bits", help="Weight bits of the middle layers: 8 or 4."),
    method: str = typer.Option("ptq", "--method", help="ptq or qat."),
    out: Path = typer.Option(
        ..., "--out", help="Integer model (.cwq); the ONNX QDQ goes beside it."
    ),
    weights: Path = typer.Option(DEFAULT_WEIGHTS, "--weights", help="Float checkpoint."),
    data: list[Path] = typer.Option(
        [Path("data/cry/train")],
        "--data",
        help="Training cry set; the first calibrates, all are QAT data (repeat to pool).",
    ),
    qat_minutes: float = typer.Option(4.0, "--qat-minutes", help="QAT fine-tuning time (min)."),
    qat_steps: int = typer.Option(
        0, "--qat-steps", help="QAT steps that define the run (0: --qat-minutes defines it)."
    ),
    distill: float = typer.Option(
        1.0, "--distill", help="Weight of matching the float model's logits during QAT."
    ),
    seed: int = typer.Option(0, "--seed", help="Seed."),
) -> None:
    """Integer model as an NPU toolchain runs it (.cwq for the reference, .onnx QDQ)."""
    import torch

    from cribwatch.cry.model import load_model
    from cribwatch.cry.quantize import export_qdq_onnx, quantize_model

    torch.set_num_threads(1)
    model, _ = load_model(str(weights))
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
        log=True,
    )
    size = im.save(out)
    onnx_path = out.with_suffix(".onnx")
    onnx_size = export_qdq_onnx(im, onnx_path)
    typer.echo(
        json.dumps(
            {
                "bits": bits,
                "method": method,
                "out": str(out),
                "bytes": size,
                "onnx": str(onnx_path),
                "onnx_bytes": onnx_size,
            }
        )
    )


@app.command("export")
def export_cmd(
    out: Path = typer.Option(..., "--out", help="ONNX file to write (--format c: a folder)."),
    weights: Path = typer.Option(DEFAULT_WEIGHTS, "--weights", help="Float checkpoint."),
    fmt: str = typer.Option("onnx", "--format", help="onnx, or c (board runtime blob)."),
    int_model: Path = typer.Option(
        DEFAULT_WEIGHTS.with_name("cry_int8.cwq"), "--int-model", help="--format c: .cwq model."
    ),
    config: Path | None = typer.Option(None, "--config", help="--format c: detector config."),
) -> None:
    """Export the float model to ONNX (opset 17) and check parity with PyTorch; or, with
    --format c, the integer model and detector settings as the board runtime's flat blob."""
    if fmt == "c":
        from cribwatch.board.export import export_c

        cfg = load_filter_config(config, int_model)
        typer.echo(json.dumps(export_c(int_model, out, cfg)))
        return
    if fmt != "onnx":
        raise CribwatchError(f"--format must be onnx or c, got {fmt!r}")
    import numpy as np
    import torch

    from cribwatch.cry.model import load_model
    from cribwatch.deploy.export import export_onnx, parity

    model, _ = load_model(str(weights))
    size = export_onnx(
        model, (torch.zeros(1, 1, 98, 64),), out, input_names=["input"], output_names=["logit"]
    )
    rng = np.random.default_rng(0)
    err = parity(model, out, [np.rint(rng.uniform(0, 255, (4, 1, 98, 64))).astype(np.float32)])
    typer.echo(json.dumps({"out": str(out), "bytes": size, "parity_max_abs": err}))


@app.command("golden")
def golden_cmd(
    model: Path = typer.Option(..., "--model", help="Integer model (.cwq)."),
    audio: Path = typer.Option(..., "--audio", help="16 kHz audio file."),
    out: Path = typer.Option(..., "--out", help="Golden folder."),
    windows: int = typer.Option(4, "--windows", help="Windows (samples) to dump."),
) -> None:
    """Golden vectors of the front end and the integer model: wave, mel, int8 layers, scores."""
    from cribwatch.cry.golden import dump_cry_golden

    man = dump_cry_golden(model, audio, out, windows)
    typer.echo(
        json.dumps(
            {
                "out": str(out),
                "samples": len(man["samples"]),  # type: ignore[arg-type]
                "tensors": len(man["tensors"]),  # type: ignore[arg-type]
            }
        )
    )


@app.command("bench")
def bench_cmd(
    json_out: bool = typer.Option(False, "--json", help="One JSON object."),
    cwq: Path = typer.Option(
        DEFAULT_WEIGHTS.with_name("cry_int8.cwq"), "--int-model", help="Integer model."
    ),
    onnx_int: Path = typer.Option(
        DEFAULT_WEIGHTS.with_name("cry_int8.onnx"), "--onnx-int", help="ONNX QDQ model."
    ),
    onnx_fp32: Path | None = typer.Option(None, "--onnx-fp32", help="Float ONNX model."),
    n: int = typer.Option(200, "--n", help="Timed repetitions."),
    rss_hours: float = typer.Option(
        1.0, "--rss-hours", help="Length of the long stream for peak RSS (h)."
    ),
    config: Path | None = typer.Option(
        None, "--config", help="Detector config JSON (default: the integer model's)."
    ),
) -> None:
    """Time per 1 s window (p50/p90, 1 thread), real-time factor, detector peak RSS."""
    from cribwatch.cry.bench import bench

    cfg = load_filter_config(config, cwq)
    res = bench(cwq, onnx_int, onnx_fp32, n=n, rss_hours=rss_hours, cfg=cfg)
    typer.echo(json.dumps(res) if json_out else "\n".join(f"{k:34s} {v}" for k, v in res.items()))


@app.command("compare")
def compare_cmd(
    data: Path = typer.Option(..., "--data", help="Cry set to compare on."),
    config: list[Path] = typer.Option(
        [], "--config", help="Detector config JSON (repeat; the first detector is the base)."
    ),
    model: list[Path] = typer.Option(
        [], "--model", help="Weights: .pt, .onnx or .cwq (repeat; default: the shipped model)."
    ),
    far: str = typer.Option(
        "1,2,5,10", "--far", help="Comma list of false-alarm bounds (per hour) to match at."
    ),
    grid: str | None = typer.Option(
        None, "--grid", help="Comma list of thresholds to sweep (default: tables.DEFAULT_GRID)."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Detectors side by side on one set at matched false-alarm rates, and paired at their own
    thresholds: several configs over one model (e.g. a model trained on fit sets, on a val set
    of babies it never heard), several models under one config (e.g. a fine-tuned model against
    the shipped one), or model i with config i."""
    from dataclasses import replace
    from typing import Any, cast

    import numpy as np

    from cribwatch.cry import eval as ev

    n = max(len(model), len(config))
    if n < 2:
        raise CribwatchError("compare: give at least two --config or two --model")
    for name, given in (("--model", model), ("--config", config)):
        if len(given) not in (0, 1, n):
            raise CribwatchError(f"{name}: give it once, or {n} times (one per detector)")
    models = list(model) if len(model) == n else (list(model) or [DEFAULT_WEIGHTS]) * n
    configs: list[Path | None] = list(config) if len(config) == n else [*config, None][:1] * n
    thresholds = _thresholds(grid)
    try:
        fars = tuple(float(f) for f in far.split(","))
    except ValueError as exc:
        raise CribwatchError(f"--far: not a comma list of numbers ({far!r})") from exc
    cfgs = [load_filter_config(c, m) for c, m in zip(configs, models, strict=True)]
    if len({c.hop_s for c in cfgs}) != 1:
        raise CribwatchError("--config: the configs must share hop_s (one scoring of the set)")
    s, an = ev.load_and_analyse(data, progress=_bar("analyse"))
    scored: dict[Path, dict[str, ev.FileAnalysis]] = {}
    for m in models:
        if m not in scored:
            scored[m] = {f: replace(fa) for f, fa in an.items()}
            ev.score_set(scored[m], make_scorer(m), progress=_bar("score"), hop_s=cfgs[0].hop_s)
    res = ev.compare_detectors(s, [scored[m] for m in models], cfgs, np.asarray(thresholds), fars)
    res["detectors"] = [
        {"model": str(m), "config": str(c) if c else None}
        for m, c in zip(models, configs, strict=True)
    ]
    if as_json:
        typer.echo(json.dumps(res))
        return
    for i, d in enumerate(cast(list[dict[str, Any]], res["detectors"])):
        typer.echo(f"detector {i}: {d['model']} with {d['config'] or 'its card config'}")
    matched = cast(list[dict[str, Any]], res["matched_far"])
    paired = cast(list[dict[str, Any]], res["paired_vs_detector0"])
    kinds = {r.get("source") for rows in s.cries.values() for r in rows}
    for row in matched:
        cells = []
        for i in range(n):
            p = row[f"detector{i}"]
            if p is None:
                cells.append("-")
                continue
            parts = [f"{k} {p['sensitivity_' + k]:.3f}, " for k in ("real", "synth") if k in kinds]
            cells.append(
                f"{p['sensitivity']:.3f} ({''.join(parts)}"
                f"{p['far_per_hour']:.2f} FA/h at {p['threshold']:g})"
            )
        typer.echo(f"<= {row['max_far_per_hour']:g} FA/h: " + " | ".join(cells))
    for item in paired:
        for name in ("all", "real"):
            if name in item:
                d = item[name]
                typer.echo(
                    f"detector {item['detector']} - detector 0 at their own thresholds "
                    f"({name} cries): {100 * d['difference']:+.1f} points "
                    f"[{100 * d['ci95'][0]:+.1f}, {100 * d['ci95'][1]:+.1f}]"
                )


@app.command("tables")
def tables_cmd(
    test: Path = typer.Option(..., "--test", help="Held-out test cry set."),
    ood: Path | None = typer.Option(None, "--ood", help="Out-of-range synthesizer test set."),
    model: Path = typer.Option(DEFAULT_WEIGHTS, "--model", help="Float checkpoint."),
    config: Path | None = typer.Option(None, "--config", help="Detector config JSON."),
    int_dir: Path = typer.Option(
        DEFAULT_WEIGHTS.parent, "--int-dir", help="Folder of cry_{int8,int8qat,int4,int4qat}.cwq."
    ),
    max_far: float = typer.Option(1.0, "--max-far", help="FA/h bound of the quantization table."),
    out: Path | None = typer.Option(None, "--out", help="Write the markdown here."),
    json_out: Path | None = typer.Option(None, "--json-out", help="Write the raw numbers here."),
    det_curve: Path | None = typer.Option(
        None, "--det-curve", help="Write the FP32 DET curve (PNG)."
    ),
    grid: str | None = typer.Option(
        None, "--grid", help="Comma list of thresholds to sweep (default: tables.DEFAULT_GRID)."
    ),
) -> None:
    """Main, ablation and quantization tables (markdown) for docs/RESULTS.md."""
    from cribwatch.cry import eval as ev
    from cribwatch.cry.tables import build_tables
    from cribwatch.io import write_json

    cfg = load_filter_config(config, model)
    ints = {
        "8-bit PTQ": int_dir / "cry_int8.cwq",
        "8-bit QAT": int_dir / "cry_int8qat.cwq",
        "4-bit PTQ": int_dir / "cry_int4.cwq",
        "4-bit QAT": int_dir / "cry_int4qat.cwq",
    }
    thresholds = _thresholds(grid)
    md, raw = build_tables(
        test, ood, model, ints, cfg, max_far, progress=_bar("analyse"), grid=thresholds
    )
    if det_curve is not None:
        ev.plot_det(raw["det_curve"], det_curve)  # type: ignore[arg-type]
    if out is not None:
        from cribwatch.io import atomic_open

        with atomic_open(out) as fh:
            fh.write(md + "\n")
    if json_out is not None:
        write_json(json_out, raw)
    typer.echo(md)
