"""``cribwatch rollover ...``: thin verbs over the roll-over library (parse, check, call, print).

Every option is checked at the top of its verb (:mod:`cribwatch.clikit`) and every output
path through :func:`cribwatch.io.guard_output` before any work; errors become one ``error:``
line and exit code 2.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import typer
from rich.console import Console
from rich.table import Table

from cribwatch import clikit
from cribwatch.errors import CribwatchError
from cribwatch.io import guard_output
from cribwatch.rollover.api import BACKENDS, DEFAULT_BACKEND, METHODS, detect, extract_keypoints
from cribwatch.rollover.bench import run_bench
from cribwatch.rollover.eval import evaluate_set
from cribwatch.rollover.learned import FEATURE_SETS, WEIGHTS, train_and_save
from cribwatch.rollover.measure import measure_pose
from cribwatch.rollover.nightmeasure import (
    SINGLE,
    TRACKING,
    NightMeasureConfig,
    markdown,
    measure_night,
)
from cribwatch.rollover.pose import looks_like_sequence
from cribwatch.rollover.synth import FAMILIES, MIN_SET_SECONDS, make_set_from_options

app = typer.Typer(
    help="Infant roll-over detection: pose, posture, events, alerts.",
    no_args_is_help=True,
    add_completion=False,
)

METHOD_HELP = "Posture classifier: both, learned, rules."
BACKEND_HELP = f"Pose backend: {', '.join(BACKENDS)} (default {DEFAULT_BACKEND})."


@app.command()
def keypoints(
    source: Path = typer.Argument(..., help="Video file or folder of frames."),
    out: Path = typer.Option(..., "--out", help="Keypoint sequence to write (.jsonl)."),
    fps: float | None = typer.Option(
        None, "--fps", help="Frame rate (default: the video's, 15 for folders)."
    ),
    static: bool = typer.Option(False, "--static", help="Detect in every frame (no tracking)."),
    max_frames: int = typer.Option(0, "--max-frames", help="Stop after this many (0: all)."),
    backend: str = typer.Option(DEFAULT_BACKEND, "--backend", help=BACKEND_HELP),
    force: bool = clikit.force_option(),
) -> None:
    """Run the pose estimator (MoveNet for night frames) over a video or a folder of frames."""
    with clikit.handle_errors():
        clikit.positive("--fps", fps)
        clikit.check_number("--max-frames", max_frames, low=0, integer=True)
        clikit.one_of("--backend", backend, BACKENDS)
        guard_output(out, inputs={"SOURCE": source}, force=force)
        clikit.quiet_native_logs()
        with clikit.progress_bar("pose") as bar:
            seq = extract_keypoints(
                source, out, fps=fps, static=static, max_frames=max_frames, backend=backend,
                progress=bar,
            )  # fmt: skip
    typer.echo(f"{out}: {seq.n} frames, {seq.width}x{seq.height}, {seq.fps:g} fps")


@app.command("detect")
def detect_cmd(
    source: Path = typer.Argument(..., help="Keypoint sequence (.jsonl) or a video."),
    as_json: bool = typer.Option(False, "--json", help="One JSON object per event/alert."),
    prone_limit_s: float = typer.Option(30.0, "--prone-limit", help="prone_too_long after (s)."),
    method: str = typer.Option("both", "--method", help=METHOD_HELP),
    backend: str = typer.Option(DEFAULT_BACKEND, "--backend", help=BACKEND_HELP),
) -> None:
    """Posture events and alerts of a sequence (or a video, via the pose estimator).

    A mirrored or rotated camera needs no option (pose models name left and right from the
    way the person faces, not from the image).
    """
    with clikit.handle_errors():
        clikit.positive("--prone-limit", prone_limit_s)
        clikit.one_of("--method", method, METHODS)
        clikit.one_of("--backend", backend, BACKENDS)
        clikit.quiet_native_logs()
        video = not looks_like_sequence(source)
        with clikit.progress_bar("pose", enabled=video) as bar:
            det = detect(
                source, method=method, prone_limit_s=prone_limit_s, backend=backend,
                progress=bar,
            )  # fmt: skip
    if as_json:
        for e in det.events:
            typer.echo(json.dumps(e.to_dict()))
        return
    table = Table(title=f"{source.name}: {len(det.events)} events and alerts")
    for col in ("time (s)", "kind", "event", "confidence"):
        table.add_column(col)
    for e in det.events:
        table.add_row(f"{e.time:.2f}", e.kind, e.event, f"{e.confidence:.2f}")
    Console().print(table)


@app.command("make-set")
def make_set_cmd(
    out: Path = typer.Option(..., "--out", help="Folder to write (replaced whole)."),
    hours: float = typer.Option(2.0, "--hours", help="Total length."),
    seed: int = typer.Option(0, "--seed", help="Random seed."),
    quiet: bool = typer.Option(False, "--quiet", help="Quiet nights: no roll to prone."),
    ranges: str = typer.Option("train", "--ranges", help="Camera ranges: train or heldout."),
    dropout: float | None = typer.Option(
        None, "--dropout", help="Person drop-out rate (0-1; default: the noise model's)."
    ),
    family: str = typer.Option(
        "a",
        "--family",
        help="Generator family: a, b, c, d, e, f, o, r (fit), g (held out); synth.FAMILIES.",
    ),
    force: bool = clikit.force_option(),
) -> None:
    """Generate a synthetic keypoint-sequence set (15 fps) with events.tsv."""
    with clikit.handle_errors():
        clikit.check_number("--hours", hours, low=MIN_SET_SECONDS / 3600.0, high=MAX_HOURS)
        clikit.one_of("--ranges", ranges, ("train", "heldout"))
        clikit.rate("--dropout", dropout)
        clikit.one_of("--family", family, tuple(FAMILIES))
        guard_output(out, force=force)
        with clikit.progress_bar("make-set") as bar:
            man = make_set_from_options(
                out, hours, seed, quiet=quiet, ranges=ranges, dropout=dropout, family=family,
                force=force, progress=bar,
            )  # fmt: skip
    typer.echo(
        f"{out}: {man['files']} files, {hours:g} h, {man['to_prone']} roll-overs to prone, "
        f"{man['covered_episodes']} covered episodes"
    )


MAX_HOURS = 1000.0
"""Largest ``make-set --hours`` (about 3 GB of keypoint files)."""


@app.command("eval")
def eval_cmd(
    data: Path = typer.Option(..., "--data", help="Set folder (make-set output)."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object."),
    method: str = typer.Option("both", "--method", help=METHOD_HELP),
    prone_dwell_s: float | None = typer.Option(
        None, "--prone-dwell", help="Override EventConfig.prone_dwell_s (s, >= 0)."
    ),
) -> None:
    """Score posture, roll-over alerts and the other alerts on a set."""
    with clikit.handle_errors():
        clikit.one_of("--method", method, METHODS)
        clikit.non_negative("--prone-dwell", prone_dwell_s)
        if not data.is_dir():
            raise CribwatchError(f"--data {data}: folder not found")
        with clikit.progress_bar("eval") as bar:
            res = evaluate_set(data, method=method, prone_dwell_s=prone_dwell_s, progress=bar)
    if as_json:
        typer.echo(json.dumps(res))
        return
    _print_flat(res, f"eval {data}")


def _print_flat(res: dict[str, Any], title: str) -> None:
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
def measure_pose_cmd(
    data_root: Path = typer.Option(Path("data"), "--data-root", help="Fetched data folder."),
    out: Path = typer.Option(Path("data/rollover/pose_measure.json"), "--out", help="Result JSON."),
    seeds: int = typer.Option(4, "--seeds", help="Night-simulator draws per variant."),
    as_json: bool = typer.Option(False, "--json", help="Print the result as JSON."),
    force: bool = clikit.force_option(),
) -> None:
    """Measure MediaPipe on night-simulated, rotated and mirrored photos of people."""
    with clikit.handle_errors():
        clikit.check_number("--seeds", seeds, low=1, high=100, integer=True)
        if not data_root.is_dir():
            raise CribwatchError(f"--data-root {data_root}: folder not found")
        guard_output(out, force=force)
        clikit.quiet_native_logs()
        with clikit.progress_bar("measure") as bar:
            res = measure_pose(data_root, out, seeds=seeds, progress=bar)
    if as_json:
        typer.echo(json.dumps(res))
        return
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


@app.command("measure-night")
def measure_night_cmd(
    data_root: Path = typer.Option(Path("data"), "--data-root", help="Data folder (photos)."),
    out: Path = typer.Option(
        Path("data/rollover/night_measure.json"), "--out", help="Result JSON."
    ),
    seeds: int = typer.Option(6, "--seeds", help="Night draws per photo and rotation."),
    clip: int = typer.Option(12, "--clip", help="Frames per tracking clip."),
    methods: str = typer.Option(
        ",".join(SINGLE + TRACKING), "--methods", help="Comma-separated methods to measure."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the result as JSON."),
    force: bool = clikit.force_option(),
) -> None:
    """Person found at night over rotations, by pose method; false presence without a person.

    Photos: scikit-image's (built in) and, when present, DATA_ROOT/coral-test-data (from
    google-coral/test_data) and DATA_ROOT/debian (Debian's mate-backgrounds, unpacked).
    """
    with clikit.handle_errors():
        clikit.check_number("--seeds", seeds, low=1, high=100, integer=True)
        clikit.check_number("--clip", clip, low=1, high=1000, integer=True)
        chosen = tuple(m.strip() for m in methods.split(",") if m.strip())
        if not chosen:
            raise CribwatchError("--methods: name at least one method")
        for m in chosen:
            clikit.one_of("--methods", m, SINGLE + TRACKING)
        if not data_root.is_dir():
            raise CribwatchError(f"--data-root {data_root}: folder not found")
        guard_output(out, force=force)
        clikit.quiet_native_logs()
        with clikit.progress_bar("measure") as bar:
            res = measure_night(
                data_root, out, methods=chosen,
                config=NightMeasureConfig(seeds=seeds, clip=clip), progress=bar,
            )  # fmt: skip
    if as_json:
        typer.echo(json.dumps(res))
        return
    typer.echo(markdown(res))
    typer.echo(f"chosen by the rule: {res['chosen']}; written {out}")


@app.command()
def bench(
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object."),
    frames: int = typer.Option(150, "--frames", help="Frames to time (at least 10)."),
    backend: str = typer.Option(DEFAULT_BACKEND, "--backend", help=BACKEND_HELP),
) -> None:
    """Time pose (640x480 grey, tracking mode) and posture+events per frame."""
    with clikit.handle_errors():
        if frames < 10 or frames > 100_000:
            raise CribwatchError(f"--frames must be at least 10 and at most 100000, got {frames}")
        clikit.one_of("--backend", backend, BACKENDS)
        clikit.quiet_native_logs()
        res = run_bench(frames, backend_name=backend)
    if as_json:
        typer.echo(json.dumps(res))
        return
    _print_flat(res, "rollover bench")


@app.command("train-posture")
def train_posture(
    data: list[Path] = typer.Option(..., "--data", help="Training set folder(s) (repeatable)."),
    out: Path = typer.Option(
        Path("cribwatch/weights/rollover_posture.pt"),
        "--out",
        help=f"Weights to write (with the .npz twin and .json card); shipped: {WEIGHTS.name}.",
    ),  # fmt: skip
    epochs: int = typer.Option(12, "--epochs", help="Training epochs."),
    seed: int = typer.Option(0, "--seed", help="Random seed."),
    features: int = typer.Option(
        18,
        "--features",
        help="Feature set: 18 (geometry), 29 (+ head against torso) or 33 (+ tilt-robust).",
    ),
    force: bool = clikit.force_option(),
) -> None:
    """Train the small learned posture classifier on synthetic sets (needs torch)."""
    with clikit.handle_errors():
        clikit.check_number("--epochs", epochs, low=1, high=10_000, integer=True)
        clikit.one_of("--features", str(features), tuple(str(n) for n in FEATURE_SETS))
        for d in data:
            if not d.is_dir():
                raise CribwatchError(f"--data {d}: folder not found")
        inputs: dict[str, str | os.PathLike[str] | None] = {f"--data {d}": d for d in data}
        for o in (out, out.with_suffix(".npz"), out.with_suffix(".json")):
            guard_output(o, inputs=inputs, force=force)
        info = train_and_save(data, out, epochs=epochs, seed=seed, n_features=features)
    typer.echo(f"{out}: {info['frames']} frames, train accuracy {info['train_accuracy']:.4f}")
