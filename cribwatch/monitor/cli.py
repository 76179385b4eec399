"""``cribwatch monitor``: watch a camera live (``run``) and time the pipeline (``bench``)."""

from __future__ import annotations

import json
import sys
import urllib.parse
from pathlib import Path

import typer

from cribwatch.clikit import force_option, handle_errors, progress_bar
from cribwatch.errors import CribwatchError
from cribwatch.monitor.api import POSE_CHOICES, MonitorOptions, run
from cribwatch.monitor.bench import bench as run_bench
from cribwatch.monitor.schema import Record
from cribwatch.monitor.web import is_loopback

app = typer.Typer(
    help="Watch a camera live: video and audio in, alerts, a web page, MQTT and clips out.",
    no_args_is_help=True,
    add_completion=False,
)


def _print_record(rec: Record) -> None:
    sys.stdout.write(rec.to_json() + "\n")
    sys.stdout.flush()


def _ready(url: str | None) -> None:
    if url:
        sys.stderr.write(f"cribwatch monitor: page at {url}\n")
        host = urllib.parse.urlsplit(url).hostname or ""
        if url.startswith("http://") and not is_loopback(host):
            sys.stderr.write(
                "cribwatch monitor: warning: plain HTTP beyond localhost: the token and the "
                "video can be read on the network (serve HTTPS with --cert/--key)\n"
            )
        sys.stderr.flush()


@app.command("run")
def run_cmd(
    source: str = typer.Argument(..., help="Video file, rtsp/udp/http URL, or /dev/videoN."),
    audio: str = typer.Option(None, "--audio", help="Audio from another source (file/URL/device)."),
    reference: Path = typer.Option(None, "--reference", help="Day colour reference image (PNG)."),
    serve: str = typer.Option(
        None, "--serve", help="Serve the page at HOST:PORT (e.g. 127.0.0.1:8080)."
    ),
    token: str = typer.Option(
        None,
        "--token",
        envvar="CRIBWATCH_TOKEN",
        help="Token the page requires (required beyond localhost).",
    ),  # fmt: skip
    cert: Path = typer.Option(None, "--cert", help="TLS certificate (PEM) for HTTPS."),
    key: Path = typer.Option(None, "--key", help="TLS private key (PEM) for HTTPS."),
    events: Path = typer.Option(None, "--events", help="Append every record as JSON lines here."),
    mqtt: str = typer.Option(None, "--mqtt", help="Publish to the MQTT broker at HOST:PORT."),
    clips: Path = typer.Option(None, "--clips", help="Write an MP4 clip around each alert here."),
    clips_keep: int = typer.Option(50, "--clips-keep", help="Most clips kept (oldest deleted)."),
    state: Path = typer.Option(None, "--state", help="The camera's state file (JSON)."),
    pose: str = typer.Option("auto", "--pose", help=f"Pose backend: {', '.join(POSE_CHOICES)}."),
    colour: bool = typer.Option(True, "--colour/--no-colour", help="Colour night frames."),
    align: bool = typer.Option(
        True, "--align/--no-align", help="Align the day reference to the night view; off: as it is."
    ),
    duration: float = typer.Option(
        0.0, "--duration", help="Stop after this many seconds (0: never)."
    ),
    loop: bool = typer.Option(False, "--loop", help="Play a file source again at its end."),
    fast: bool = typer.Option(
        False, "--fast", help="A recorded file as fast as it decodes, every frame processed."
    ),
    read_timeout: float = typer.Option(2.0, "--read-timeout", help="Seconds without data = down."),
    force: bool = force_option(),
) -> None:
    """Watch SOURCE until it ends or SIGINT/SIGTERM; print each record as a JSON line."""
    opts = MonitorOptions(
        source=source, audio=audio, reference=reference, serve=serve, token=token, cert=cert,
        key=key, events=events, mqtt=mqtt, clips=clips, clips_keep=clips_keep, state=state,
        pose=pose, colour=colour, colour_align=align, duration_s=duration, loop=loop,
        read_timeout_s=read_timeout,
        realtime=not fast,
        force=force,
    )  # fmt: skip
    with handle_errors():
        health = run(opts, on_record=_print_record, on_ready=_ready)
    sys.stderr.write(json.dumps({"summary": health}) + "\n")


@app.command("bench")
def bench_cmd(
    seconds: float = typer.Option(60.0, "--seconds", help="Length of the generated stream."),
    width: int = typer.Option(640, "--width"),
    height: int = typer.Option(480, "--height"),
    fps: int = typer.Option(15, "--fps"),
    pose: str = typer.Option("auto", "--pose", help=f"Pose backend: {', '.join(POSE_CHOICES)}."),
    colour: bool = typer.Option(True, "--colour/--no-colour"),
    as_json: bool = typer.Option(False, "--json", help="One JSON object on stdout."),
) -> None:
    """Time the monitor on a generated 640x480 15 fps camera stream (colour, pose, cry on):
    fps, CPU, stage latencies, RSS, and the latency from a cry's onset and from a roll to the
    alert (event line and page)."""
    with handle_errors():
        if pose not in POSE_CHOICES:
            raise CribwatchError(
                f"--pose: unknown value {pose!r} (one of {', '.join(POSE_CHOICES)})"
            )
        with progress_bar("bench", int(seconds)) as bar:
            res = run_bench(seconds=seconds, width=width, height=height, fps=fps, pose=pose,
                            colour=colour, progress=bar)  # fmt: skip
    if as_json:
        sys.stdout.write(json.dumps(res) + "\n")
        return
    for k, v in res.items():
        sys.stdout.write(f"{k}: {json.dumps(v)}\n")
