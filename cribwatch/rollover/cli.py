"""``cribwatch rollover ...``: thin verbs over the roll-over library (parse, call, print)."""

from __future__ import annotations

import json
import sys
from dataclasses import replace
from pathlib import Path

import typer

from cribwatch.errors import CribwatchError

app = typer.Typer(
    help="Infant roll-over detection: pose, posture, events, alerts.",
    no_args_is_help=True,
    add_completion=False,
)


def _fail(exc: CribwatchError) -> None:
    typer.echo(f"error: {exc.message}", err=True)
    raise typer.Exit(2)


def _bar(total: int | None, desc: str):  # type: ignore[no-untyped-def]
    from tqdm import tqdm

    return tqdm(total=total or None, desc=desc, unit="frame", file=sys.stderr, leave=False)


@app.command()
def keypoints(
    source: Path = typer.Argument(..., help="Video file or folder of frames."),
    out: Path = typer.Option(..., "--out", help="Keypoint sequence to write (.jsonl)."),
    fps: float = typer.Option(0.0, "--fps", help="Frame rate (0: the video's, 15 for folders)."),
    static: bool = typer.Option(False, "--static", help="Detect in every frame (no tracking)."),
    max_frames: int = typer.Option(0, "--max-frames", help="Stop after this many (0: all)."),
) -> None:
    """Run the pose estimator (MediaPipe) over a video or a folder of frames."""
    import itertools

    from cribwatch.rollover.pose import make_backend, open_frames, run_backend, write_sequence

    try:
        rate, total, frames = open_frames(source, fps or None)
        if max_frames > 0:
            frames = itertools.islice(frames, max_frames)
            total = min(total, max_frames) if total else max_frames
        backend = make_backend("mediapipe", static=static)
        bar = _bar(total, "pose")
        try:
            seq = run_backend(backend, frames, rate, progress=lambda: bar.update(1))
        finally:
            bar.close()
            backend.close()
        write_sequence(out, seq)
    except CribwatchError as exc:
        _fail(exc)
    typer.echo(f"{out}: {seq.n} frames, {seq.width}x{seq.height}, {seq.fps:g} fps")


@app.command()
def detect(
    source: Path = typer.Argument(..., help="Keypoint sequence (.jsonl) or a video."),
    as_json: bool = typer.Option(False, "--json", help="One JSON object per event/alert."),
    prone_limit_s: float = typer.Option(30.0, "--prone-limit", help="prone_too_long after (s)."),
    mirrored: bool = typer.Option(False, "--mirrored", help="The camera image is mirrored."),
    method: str = typer.Option(
        "both", "--method", help="Posture classifier: both, learned, rules."
    ),
) -> None:
    """Posture events and alerts of a sequence (or a video, via the pose estimator)."""
    from cribwatch.rollover.events import EventConfig, run
    from cribwatch.rollover.pose import (
        looks_like_sequence,
        make_backend,
        open_frames,
        read_sequence,
        run_backend,
    )
    from cribwatch.rollover.posture import PostureConfig

    try:
        if looks_like_sequence(source):
            seq = read_sequence(source)
        else:
            rate, total, frames = open_frames(source)
            backend = make_backend("mediapipe")
            bar = _bar(total, "pose")
            try:
                seq = run_backend(backend, frames, rate, progress=lambda: bar.update(1))
            finally:
                bar.close()
                backend.close()
        det = run(
            seq.t,
            seq.kp,
            PostureConfig(mirrored=mirrored),
            EventConfig(prone_limit_s=prone_limit_s),
            method,
        )
    except CribwatchError as exc:
        _fail(exc)
    if as_json:
        for e in det.events:
            typer.echo(json.dumps(e.to_dict()))
        return
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"{source.name}: {len(det.events)} events and alerts")
    for col in ("time (s)", "kind", "event", "confidence"):
        table.add_column(col)
    for e in det.events:
        table.add_row(f"{e.time:.2f}", e.kind, e.event, f"{e.confidence:.2f}")
    Console().print(table)


@app.command("make-set")
def make_set_cmd(
    out: Path = typer.Option(..., "--out", help="Folder to write."),
    hours: float = typer.Option(2.0, "--hours", help="Total length."),
    seed: int = typer.Option(0, "--seed", help="Random seed."),
    quiet: bool = typer.Option(False, "--quiet", help="Quiet nights: no roll to prone."),
    ranges: str = typer.Option("train", "--ranges", help="Camera ranges: train or heldout."),
    dropout: float = typer.Option(-1.0, "--dropout", help="Override the person drop-out rate."),
) -> None:
    """Generate a synthetic keypoint-sequence set (15 fps) with events.tsv."""
    from cribwatch.rollover.synth import HELDOUT_RANGES, SceneRanges, SynthConfig, make_set

    if ranges not in ("train", "heldout"):
        _fail(CribwatchError(f"--ranges must be train or heldout, got {ranges!r}"))
    cfg = SynthConfig(quiet=quiet, scene=HELDOUT_RANGES if ranges == "heldout" else SceneRanges())
    if dropout >= 0:
        cfg = replace(cfg, noise=replace(cfg.noise, dropout=dropout))
    from tqdm import tqdm

    bar = tqdm(desc="make-set", unit="file", file=sys.stderr, leave=False)

    def prog(k: int, n: int) -> None:
        bar.total = n
        bar.update(1)

    try:
        man = make_set(out, hours, seed, cfg, progress=prog)
    except CribwatchError as exc:
        _fail(exc)
    finally:
        bar.close()
    typer.echo(
        f"{out}: {man['files']} files, {hours:g} h, {man['to_prone']} roll-overs to prone, "
        f"{man['covered_episodes']} covered episodes"
    )


@app.command("eval")
def eval_cmd(
    data: Path = typer.Option(..., "--data", help="Set folder (make-set output)."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object."),
    method: str = typer.Option(
        "both", "--method", help="Posture classifier: both, learned, rules."
    ),
    prone_dwell_s: float = typer.Option(
        -1.0, "--prone-dwell", help="Override EventConfig.prone_dwell_s (s; <0: default)."
    ),
) -> None:
    """Score posture, roll-over alerts and the other alerts on a set."""
    from tqdm import tqdm

    from cribwatch.rollover.eval import evaluate
    from cribwatch.rollover.events import EventConfig

    ecfg = EventConfig()
    if prone_dwell_s >= 0:
        ecfg = replace(ecfg, prone_dwell_s=prone_dwell_s)

    bar = tqdm(desc="eval", unit="file", file=sys.stderr, leave=False)

    def prog(k: int, n: int) -> None:
        bar.total = n
        bar.update(1)

    try:
        res = evaluate(data, event_cfg=ecfg, progress=prog, method=method)
    except CribwatchError as exc:
        _fail(exc)
    finally:
        bar.close()
    if as_json:
        typer.echo(json.dumps(res))
        return
    _print_flat(res, f"eval {data}")


def _print_flat(res: dict[str, object], title: str) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=title)
    table.add_column("metric")
    table.add_column("value")

    def add(prefix: str, obj: object) -> None:
        if isinstance(obj, dict):
            for k, v in obj.items():
                add(f"{prefix}{k}." if isinstance(v, dict) else f"{prefix}{k}", v)
        else:
            table.add_row(prefix, f"{obj:.4g}" if isinstance(obj, float) else str(obj))

    for k, v in res.items():
        add(f"{k}." if isinstance(v, dict) else k, v)
    Console().print(table)


@app.command("measure-pose")
def measure_pose(
    data_root: Path = typer.Option(Path("data"), "--data-root", help="Fetched data folder."),
    out: Path = typer.Option(Path("data/rollover/pose_measure.json"), "--out", help="Result JSON."),
    seeds: int = typer.Option(4, "--seeds", help="Night-simulator draws per variant."),
    as_json: bool = typer.Option(False, "--json", help="Print the result as JSON."),
) -> None:
    """Measure MediaPipe on night-simulated, rotated and mirrored photos of people."""
    from cribwatch.io import write_json
    from cribwatch.rollover.measure import MeasureConfig, find_photos, fit_noise, measure
    from cribwatch.rollover.pose import MediaPipeBackend, MediaPipeConfig

    try:
        photos = find_photos(data_root)
        backend = MediaPipeBackend(MediaPipeConfig(static_image_mode=True))
        bar = _bar(len(photos) * 8 * seeds, "measure")
        try:
            res = measure(backend, photos, MeasureConfig(seeds=seeds), lambda: bar.update(1))
        finally:
            bar.close()
            backend.close()
        res["fit"] = fit_noise(res)
        write_json(out, res)
    except CribwatchError as exc:
        _fail(exc)
    if as_json:
        typer.echo(json.dumps(res))
        return
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"MediaPipe at night ({', '.join(res['photos'])})")
    for col in ("keypoint", "n", "miss", "miss if found", "err p50", "err p90"):
        table.add_column(col)

    def f(v: float | None) -> str:
        return "-" if v is None else f"{v:.3f}"

    for p in res["per_keypoint"]:
        table.add_row(
            p["keypoint"], str(p["n"]), f(p["miss_rate"]), f(p["miss_if_found"]),
            f(p["err_median"]), f(p["err_p90"]),
        )  # fmt: skip
    Console().print(table)
    typer.echo(f"person found: {res['person_found']:.3f}; written {out}")


@app.command()
def bench(
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object."),
    frames: int = typer.Option(150, "--frames", help="Frames to time."),
) -> None:
    """Time pose (640x480, tracking mode) and posture+events per frame."""
    from cribwatch.rollover.bench import run_bench

    try:
        res = run_bench(frames)
    except CribwatchError as exc:
        _fail(exc)
    if as_json:
        typer.echo(json.dumps(res))
        return
    _print_flat(res, "rollover bench")


@app.command("train-posture")
def train_posture(
    data: list[Path] = typer.Option(..., "--data", help="Training set folder(s) (repeatable)."),
    out: Path = typer.Option(Path("cribwatch/weights/rollover_posture.pt"), "--out"),
    epochs: int = typer.Option(12, "--epochs", help="Training epochs."),
    seed: int = typer.Option(0, "--seed", help="Random seed."),
) -> None:
    """Train the small learned posture classifier on synthetic sets."""
    from cribwatch.rollover.learned import TrainConfig, card, train, training_frames

    try:
        x, y = training_frames([str(d) for d in data])
        model, info = train(x, y, TrainConfig(epochs=epochs, seed=seed))
        model.save(out, card(info, [str(d) for d in data]))
    except CribwatchError as exc:
        _fail(exc)
    typer.echo(f"{out}: {len(x)} frames, train accuracy {info['train_accuracy']:.4f}")
