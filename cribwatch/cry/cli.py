"""``cribwatch cry ...``: thin verbs over the cry library (:mod:`cribwatch.cry.api`,
:mod:`cribwatch.cry.tasks`): parse, check options, call one library function, print."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any, cast

import typer

from cribwatch import clikit
from cribwatch.cry import tasks, yamnet
from cribwatch.cry.api import DEFAULT_DETECTOR, DEFAULT_MODEL, DEFAULT_WEIGHTS, Alert, End, detect
from cribwatch.cry.postprocess import Event
from cribwatch.cry.pretrained import HEAD_KINDS
from cribwatch.errors import CribwatchError

app = typer.Typer(help="Infant cry detection.", no_args_is_help=True)


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
    force: bool = clikit.force_option(),
) -> None:
    """Write a cry set: mixtures, cry-free and very quiet recordings, labels and noise types."""
    clikit.check_number("--hours", hours, low=0, high=10_000)
    clikit.check_number("--cryfree-hours", cryfree_hours, low=0, high=10_000)
    clikit.one_of("--synth-range", synth_range, ("in", "out"))
    clikit.rate("--real-aug", real_aug)
    clikit.rate("--real-share", real_share)
    with clikit.progress_bar("make-set") as bar:
        man = tasks.make_set(
            out,
            hours=hours,
            seed=seed,
            split=split,
            cryfree_hours=cryfree_hours,
            data_dir=data_dir,
            synth_range=synth_range,
            real_aug=real_aug,
            real_share=real_share,
            force=force,
            progress=bar,
        )
    typer.echo(json.dumps({k: man[k] for k in ("format", "split", "seed", "hours", "files")}))


@app.command("make-real-set")
def make_real_set_cmd(
    out: Path = typer.Option(..., "--out", help="Folder of the new cry set."),
    data_dir: Path = typer.Option(
        Path("data"), "--data-dir", help="Where 'cribwatch data fetch' put the sources."
    ),
    seed: int = typer.Option(0, "--seed", help="Order of the cry-free recordings."),
    force: bool = clikit.force_option(),
) -> None:
    """Independent real test set: unlisted Donate-a-cry cries, Asterisk sounds as cry-free."""
    with clikit.progress_bar("make-real-set") as bar:
        man = tasks.make_real_set(out, data_dir=data_dir, seed=seed, force=force, progress=bar)
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
    force: bool = clikit.force_option(),
) -> None:
    """Train the tiny CNN (fixed steps or time budget); keeps the best or the last checkpoint."""
    clikit.positive("--minutes", minutes)
    clikit.check_number("--steps", steps, low=0, integer=True)
    clikit.check_number("--threads", threads, low=1, integer=True)
    clikit.one_of("--augment", augment, ("basic", "strong"))
    clikit.one_of("--keep", keep, ("best", "last"))
    clikit.positive("--lr", lr)
    clikit.check_number("--hard-share", hard_share, low=0, high=0.99)
    clikit.rate("--real-babies", real_babies)

    def validated(step: int, val_loss: float, best: float) -> None:
        typer.echo(f"step {step} val_loss {val_loss:.4f} best {best:.4f}", err=True)

    with clikit.progress_bar("train") as bar:
        res = tasks.train_model(
            list(data),
            out,
            minutes=minutes,
            steps=steps,
            seed=seed,
            threads=threads,
            augment=augment,
            keep=keep,
            stem=stem,
            channels=channels,
            strides=strides,
            init=init,
            lr=lr,
            hard_share=hard_share,
            real_babies=real_babies,
            force=force,
            progress=bar,
            on_validation=validated,
        )
    typer.echo(json.dumps(res))


@app.command("distill")
def distill_cmd(
    data: list[Path] = typer.Option(..., "--data", help="Training cry set (repeat to pool sets)."),
    out: Path = typer.Option(..., "--out", help="Checkpoint to write (atomically)."),
    teacher: str = typer.Option(
        "verifier",
        "--teacher",
        help="verifier (the default cascade's head, on YAMNet's embedding) or class20 (YAMNet's "
        "baby-cry score).",
    ),
    verifier: Path | None = typer.Option(
        None, "--verifier", help="Verifier head (.npz); default the default cascade's."
    ),
    teacher_weight: float = typer.Option(
        0.5,
        "--teacher-weight",
        help="Share a of each window's target from the teacher: (1-a)*label + a*teacher; "
        "0: labels only.",
    ),
    steps: int = typer.Option(6000, "--steps", help="Optimizer steps that define the run."),
    minutes: float = typer.Option(40.0, "--minutes", help="Wall-clock cap (min)."),
    seed: int = typer.Option(0, "--seed", help="Seed."),
    batch: int = typer.Option(128, "--batch", help="Windows per batch (per rank)."),
    threads: int = typer.Option(1, "--threads", help="torch threads."),
    augment: str = typer.Option("strong", "--augment", help="strong or none."),
    keep: str = typer.Option("last", "--keep", help="best (validation loss) or last."),
    force: bool = clikit.force_option(),
) -> None:
    """Train the board CNN against YAMNet's scores (distillation); runs under torchrun too."""
    clikit.rate("--teacher-weight", teacher_weight)
    clikit.check_number("--steps", steps, low=0, integer=True)
    clikit.positive("--minutes", minutes)
    clikit.check_number("--batch", batch, low=1, integer=True)
    clikit.check_number("--threads", threads, low=1, integer=True)
    clikit.one_of("--teacher", teacher, ("verifier", "class20"))
    clikit.one_of("--augment", augment, ("strong", "none"))
    clikit.one_of("--keep", keep, ("best", "last"))
    with clikit.progress_bar("distill", steps or None) as bar:
        res = tasks.distill_model(
            list(data),
            out,
            teacher=teacher,
            verifier=verifier,
            teacher_weight=teacher_weight,
            steps=steps,
            minutes=minutes,
            seed=seed,
            batch=batch,
            threads=threads,
            augment=augment,
            keep=keep,
            force=force,
            progress=bar,
        )
    if res is not None:
        typer.echo(json.dumps(res))


@app.command("train-verifier")
def train_verifier_cmd(
    data: list[Path] = typer.Option(..., "--data", help="Training cry set (repeat to pool sets)."),
    out: Path = typer.Option(
        ..., "--out", help="Verifier head to write (.npz; its card beside it as .json)."
    ),
    hidden: int = typer.Option(32, "--hidden", help="Hidden units of the head (1-512)."),
    steps: int = typer.Option(3000, "--steps", help="Optimizer steps."),
    seed: int = typer.Option(0, "--seed", help="Seed."),
    gate: float = typer.Option(
        0.9, "--gate", help="First-stage score that wakes the verifier (the card's cascade)."
    ),
    threshold: float = typer.Option(
        0.5, "--threshold", help="Verifier score threshold of the card's detector config."
    ),
    first_stage: Path = typer.Option(
        DEFAULT_MODEL, "--first-stage", help="Board cry model of the cascade (beside --out)."
    ),
    kind: str = typer.Option(
        "scores", "--kind", help="Head input: scores, embedding or embedding+scores."
    ),
    negatives: Path | None = typer.Option(
        None,
        "--negatives",
        help="More non-cry recordings: DEST/negatives of 'data fetch' (their fit part is used).",
    ),
    confirm_score: float = typer.Option(
        0.0, "--confirm-score", help="Card's fast confirmation score (0: off)."
    ),
    force: bool = clikit.force_option(),
) -> None:
    """Train the YAMNet verifier head (a small MLP on YAMNet's 521 class scores, its 1024-d
    embedding, or both) and write it with a card that makes it the second stage of a
    two-stage cascade."""
    clikit.check_number("--hidden", hidden, low=1, high=512, integer=True)
    clikit.check_number("--steps", steps, low=1, integer=True)
    clikit.check_number("--gate", gate, low=0, high=0.999)
    clikit.rate("--threshold", threshold)
    clikit.rate("--confirm-score", confirm_score)
    clikit.one_of("--kind", kind, tuple(HEAD_KINDS))
    with clikit.progress_bar("train-verifier") as bar:
        res = tasks.train_verifier_head(
            list(data),
            out,
            hidden=hidden,
            steps=steps,
            seed=seed,
            gate=gate,
            threshold=threshold,
            first_stage=first_stage,
            kind=kind,
            negatives=negatives,
            confirm_score=confirm_score,
            force=force,
            progress=bar,
        )
    typer.echo(json.dumps(res))


@app.command("yamnet-onnx")
def yamnet_onnx_cmd(
    out: Path = typer.Option(..., "--out", help="ONNX file to write (.onnx)."),
    tflite: Path = typer.Option(
        yamnet.WEIGHTS, "--tflite", help="The int8 YAMNet TFLite graph it is built from."
    ),
    force: bool = clikit.force_option(),
) -> None:
    """Build YAMNet as ONNX from its int8 TFLite graph (int8 weights, float activations;
    outputs the 521 scores and the float 1024-d embedding), checked against the TFLite graph
    on golden patches before it is written. Needs the train and cry-pretrained extras; the
    file runs with ONNX Runtime alone (the shipped cry_yamnet_emb.onnx is built by it)."""
    if out.suffix.lower() != ".onnx":
        raise CribwatchError(f"--out: {out} must end in .onnx")
    typer.echo(json.dumps(yamnet.build_onnx(out, tflite, force=force)))


def _show(msg: Event | Alert | End, json_out: bool) -> None:
    if json_out:
        typer.echo(json.dumps(msg.to_dict()))
    elif isinstance(msg, Alert):
        typer.echo(f"alert cry from {msg.onset:8.2f} s  (known at {msg.emitted:.2f} s)")
    else:
        ev = msg.event if isinstance(msg, End) else msg
        d = ev.to_dict()
        head = "end   cry" if isinstance(msg, End) else "cry"
        typer.echo(
            f"{head} {d['onset']:8.2f} - {d['offset']:8.2f} s  score {d['score']:.2f}  "
            f"(known at {d['emitted']:.2f} s)"
        )
    sys.stdout.flush()


@app.command("detect")
def detect_cmd(
    audio: str = typer.Argument(
        ..., help="16 kHz audio file, or - for raw 16 kHz mono s16le PCM on stdin."
    ),
    model: Path = typer.Option(
        DEFAULT_DETECTOR,
        "--model",
        help="Model: .npz cascade (default: the board CNN, then a head on YAMNet's ONNX "
        "embedding; ONNX Runtime only), or the board CNN alone: .onnx (cry.onnx), .cwq, .pt.",
    ),
    config: Path | None = typer.Option(
        None, "--config", help="Detector config JSON (from 'cry tune')."
    ),
    json_out: bool = typer.Option(False, "--json", help="One JSON object per line."),
    block: int = typer.Option(8000, "--block", help="Samples read per block."),
) -> None:
    """Detect cries. A file: each cry as soon as its bout has closed. '-' (a live stream): an
    'alert' line the moment a bout is confirmed, an 'end' line when it has closed."""
    clikit.check_number("--block", block, low=1, high=16_000_000, integer=True)
    for msg in detect(audio, model, config, block=block, stdin=sys.stdin.buffer):
        _show(msg, json_out)


def _print_mapping(res: dict[str, Any], json_out: bool, width: int) -> None:
    if json_out:
        typer.echo(json.dumps(res))
    else:
        for k, v in res.items():
            typer.echo(f"{k:{width}s} {v}")


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
    force: bool = clikit.force_option(),
) -> None:
    """Sensitivity, false alarms per hour (overall, by noise type), event F1/ER, latency."""
    if filters is not None:
        tasks.parse_filters(filters)
    with clikit.progress_bar("eval") as bar:
        res = tasks.evaluate(
            data, model, config, det_curve=det_curve, filters=filters, force=force, progress=bar
        )
    _print_mapping(res, json_out, 28)


@app.command("tune")
def tune_cmd(
    data: Path = typer.Option(..., "--data", help="Your own recordings as a cry set (labels.tsv)."),
    max_far: float = typer.Option(1.0, "--max-far", help="Largest false alarms per hour allowed."),
    model: Path = typer.Option(DEFAULT_WEIGHTS, "--model", help="Weights: .pt, .onnx or .cwq."),
    config: Path | None = typer.Option(None, "--config", help="Config to start from."),
    out: Path | None = typer.Option(
        None,
        "--out",
        help="Config file to write; without it nothing is written (the tuned detector config "
        "is printed). Use it with 'cry detect --config'.",
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
    force: bool = clikit.force_option(),
) -> None:
    """Pick the threshold with the best sensitivity at most --max-far false alarms per hour."""
    clikit.non_negative("--max-far", max_far)
    clikit.check_number("--hop", hop, low=0.1, high=0.5)
    with clikit.progress_bar("tune") as bar:
        res = tasks.tune(
            data,
            max_far,
            model,
            config,
            out,
            search_filters=search_filters,
            hop=hop,
            force=force,
            progress=bar,
        )
    if out is not None:
        res.pop("detector")
    _print_mapping(res, json_out, 22)


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
    force: bool = clikit.force_option(),
) -> None:
    """Integer model as an NPU toolchain runs it (.cwq for the reference, .onnx QDQ)."""
    clikit.one_of("--bits", str(bits), ("8", "4"))
    clikit.one_of("--method", method, ("ptq", "qat"))
    clikit.positive("--qat-minutes", qat_minutes)
    clikit.check_number("--qat-steps", qat_steps, low=0, integer=True)
    clikit.non_negative("--distill", distill)
    with clikit.progress_bar(f"quantize {bits}-bit {method}") as bar:
        res = tasks.quantize(
            bits=bits,
            method=method,
            out=out,
            weights=weights,
            data=list(data),
            qat_minutes=qat_minutes,
            qat_steps=qat_steps,
            distill=distill,
            seed=seed,
            force=force,
            progress=bar,
        )
    typer.echo(json.dumps(res))


@app.command("export")
def export_cmd(
    out: Path = typer.Option(..., "--out", help="ONNX file to write (--format c: a folder)."),
    weights: Path = typer.Option(DEFAULT_WEIGHTS, "--weights", help="Float checkpoint."),
    fmt: str = typer.Option("onnx", "--format", help="onnx, or c (board runtime blob)."),
    int_model: Path = typer.Option(
        DEFAULT_WEIGHTS.with_name("cry_int8.cwq"), "--int-model", help="--format c: .cwq model."
    ),
    config: Path | None = typer.Option(None, "--config", help="--format c: detector config."),
    force: bool = clikit.force_option(),
) -> None:
    """Export the float model to ONNX (opset 17) and check parity with PyTorch; or, with
    --format c, the integer model and detector settings as the board runtime's flat blob."""
    clikit.one_of("--format", fmt, ("onnx", "c"))
    res = tasks.export(
        out, weights=weights, fmt=fmt, int_model=int_model, config=config, force=force
    )
    typer.echo(json.dumps(res))


@app.command("golden")
def golden_cmd(
    model: Path = typer.Option(..., "--model", help="Integer model (.cwq)."),
    audio: Path = typer.Option(..., "--audio", help="16 kHz audio file."),
    out: Path = typer.Option(..., "--out", help="Golden folder."),
    windows: int = typer.Option(4, "--windows", help="Windows (samples) to dump."),
    force: bool = clikit.force_option(),
) -> None:
    """Golden vectors of the front end and the integer model: wave, mel, int8 layers, scores."""
    clikit.check_number("--windows", windows, low=1, high=100_000, integer=True)
    typer.echo(json.dumps(tasks.golden(model, audio, out, windows, force=force)))


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
    clikit.check_number("--n", n, low=1, high=1_000_000, integer=True)
    clikit.check_number("--rss-hours", rss_hours, low=0, low_open=True, high=24)
    res = tasks.bench(cwq, onnx_int, onnx_fp32, n=n, rss_hours=rss_hours, config=config)
    _print_mapping(res, json_out, 34)


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
    with clikit.progress_bar("compare") as bar:
        res, kinds = tasks.compare(data, list(config), list(model), far, grid, progress=bar)
    if as_json:
        typer.echo(json.dumps(res))
        return
    detectors = cast(list[dict[str, Any]], res["detectors"])
    n = len(detectors)
    for i, d in enumerate(detectors):
        typer.echo(f"detector {i}: {d['model']} with {d['config'] or 'its card config'}")
    matched = cast(list[dict[str, Any]], res["matched_far"])
    paired = cast(list[dict[str, Any]], res["paired_vs_detector0"])
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
    force: bool = clikit.force_option(),
) -> None:
    """Main, ablation and quantization tables (markdown) for docs/results/cry.md."""
    clikit.non_negative("--max-far", max_far)
    with clikit.progress_bar("tables") as bar:
        md = tasks.tables(
            test,
            ood,
            model,
            config,
            int_dir=int_dir,
            max_far=max_far,
            out=out,
            json_out=json_out,
            det_curve=det_curve,
            grid=grid,
            force=force,
            progress=bar,
        )
    typer.echo(md)
