"""Bad-input contract cases of the ``cribwatch rollover ...`` verbs (audit rows rd_, rk_, rms_,
rmp_, X4, X5, and at least one case per verb)."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
from PIL import Image

from tests.contract.harness import Case

KP = [[100.0 + 3 * i, 80.0 + 2 * i, 0.9] for i in range(17)]


def _seq(name: str, *, fps: object = 15, bad_line: int = 0, t: object = None,
         coord: object = None) -> Callable[[Path, Path], None]:  # fmt: skip
    """A keypoint file ``tmp/name`` of 20 frames; line ``bad_line`` gets ``t`` or ``coord``."""

    def setup(tmp: Path, fx: Path) -> None:
        lines = [json.dumps({"format": "cribwatch-keypoints", "version": 1, "fps": fps,
                             "width": 320, "height": 240, "layout": "coco17"})]  # fmt: skip
        for i in range(20):
            rec: dict[str, object] = {"frame": i, "t": i / 15, "kp": KP}
            if i + 2 == bad_line:
                if t is not None:
                    rec["t"] = t
                if coord is not None:
                    rec["kp"] = [[coord, coord, 0.9]] + KP[1:]
            lines.append(json.dumps(rec))
        (tmp / name).write_text("\n".join(lines) + "\n")

    return setup


def _frames(*files: tuple[str, object]) -> Callable[[Path, Path], None]:
    """A folder ``tmp/frames``: each file a (w, h) grey PNG, a fixture name or raw text."""

    def setup(tmp: Path, fx: Path) -> None:
        d = tmp / "frames"
        d.mkdir()
        for name, what in files:
            if isinstance(what, tuple):
                Image.fromarray(np.full((what[1], what[0]), 90, np.uint8), "L").save(d / name)
            elif isinstance(what, str) and what.startswith("fx:"):
                shutil.copy(fx / what[3:], d / name)
            else:
                (d / name).write_text(str(what))

    return setup


def _user_folder(name: str) -> Callable[[Path, Path], None]:
    """A folder of the user's own files (not written by cribwatch)."""

    def setup(tmp: Path, fx: Path) -> None:
        d = tmp / name
        d.mkdir()
        (d / "notes.txt").write_text("mine\n")
        shutil.copy(fx / "seq.jsonl", d / "seq0002.jsonl")

    return setup


def _user_folder_kept(name: str) -> Callable[[Path, Path], None]:
    def check(tmp: Path, fx: Path) -> None:
        d = tmp / name
        assert (d / "notes.txt").read_text() == "mine\n"
        assert (d / "seq0002.jsonl").read_bytes() == (fx / "seq.jsonl").read_bytes()
        assert sorted(p.name for p in d.iterdir()) == ["notes.txt", "seq0002.jsonl"]

    return check


def _file(name: str, text: str = "my own file\n") -> Callable[[Path, Path], None]:
    def setup(tmp: Path, fx: Path) -> None:
        (tmp / name).write_text(text)

    return setup


def _file_kept(name: str, text: str = "my own file\n") -> Callable[[Path, Path], None]:
    def check(tmp: Path, fx: Path) -> None:
        assert (tmp / name).read_text() == text

    return check


def _set(events: bytes) -> Callable[[Path, Path], None]:
    """A set folder ``tmp/set``: the fixture sequence and an ``events.tsv`` of ``events``."""

    def setup(tmp: Path, fx: Path) -> None:
        (tmp / "set").mkdir()
        shutil.copy(fx / "seq.jsonl", tmp / "set" / "seq.jsonl")
        (tmp / "set" / "events.tsv").write_bytes(events)

    return setup


def _both(*setups: Callable[[Path, Path], None]) -> Callable[[Path, Path], None]:
    def setup(tmp: Path, fx: Path) -> None:
        for s in setups:
            s(tmp, fx)

    return setup


MAKE_SET = (
    "import sys\nfrom cribwatch.rollover.cli import app\n"
    "sys.argv = ['cribwatch-rollover', *sys.argv[1:]]\napp()\n"
)


def _killed_make_set(tmp: Path, fx: Path) -> None:
    """X4: ``make-set --hours 0.5`` SIGKILLed just after its first sequence file is written."""
    root = Path(__file__).resolve().parents[2]
    proc = subprocess.Popen(
        [sys.executable, "-c", MAKE_SET, "make-set", "--out", str(tmp / "set"), "--hours", "0.5"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=tmp,
        env={**os.environ, "PYTHONPATH": str(root)},
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline and proc.poll() is None:
            if any(tmp.glob(".set.partial-*/seq0000.jsonl")) or (tmp / "set").exists():
                break
            time.sleep(0.05)
        assert proc.poll() is None, "make-set ended before it could be killed"
        time.sleep(0.5)
        proc.send_signal(signal.SIGKILL)
    finally:
        proc.kill()
        proc.wait()
    assert not (tmp / "set").exists(), "a killed make-set left a partial set at --out"


CASES: list[Case] = [
    # ---------------------------------------------------------------- rollover detect
    Case(
        "rd_fps_inf",
        ["rollover", "detect", "{tmp}/inf.jsonl", "--json"],
        ["inf.jsonl", "fps"],
        setup=_seq("inf.jsonl", fps=float("inf")),
    ),
    Case(
        "rd_fps_nan",
        ["rollover", "detect", "{tmp}/nan.jsonl", "--json"],
        ["nan.jsonl", "fps"],
        setup=_seq("nan.jsonl", fps=float("nan")),
    ),
    Case(
        "rd_nan_t",
        ["rollover", "detect", "{tmp}/t.jsonl", "--json"],
        ["t.jsonl", "line 7", "'t'"],
        setup=_seq("t.jsonl", bad_line=7, t=float("nan")),
    ),
    Case(
        "rd_inf_t",
        ["rollover", "detect", "{tmp}/t.jsonl", "--json"],
        ["t.jsonl", "line 7", "finite"],
        setup=_seq("t.jsonl", bad_line=7, t=float("inf")),
    ),
    Case(
        "rd_huge_coord",
        ["rollover", "detect", "{tmp}/big.jsonl", "--json"],
        ["big.jsonl", "line 5"],
        setup=_seq("big.jsonl", bad_line=5, coord=1e300),
        process=True,
    ),
    Case(
        "rd_prone_neg",
        ["rollover", "detect", "{fx}/seq.jsonl", "--prone-limit", "-5"],
        ["--prone-limit"],
    ),
    Case(
        "rd_prone_nan",
        ["rollover", "detect", "{fx}/seq.jsonl", "--prone-limit", "nan"],
        ["--prone-limit"],
    ),
    Case(
        "rd_frames_bad",
        ["rollover", "detect", "{tmp}/frames"],
        ["0001.png"],
        setup=_frames(("0001.png", "this is text, not an image\n")),
        process=True,
    ),
    Case(
        "rd_huge_int_t",
        ["rollover", "detect", "{tmp}/t.jsonl", "--json"],
        ["t.jsonl", "line 4", "'t'"],
        setup=_seq("t.jsonl", bad_line=4, t=10**400),
    ),
    Case(
        "rd_huge_int_coord",
        ["rollover", "detect", "{tmp}/c.jsonl", "--json"],
        ["c.jsonl", "line 3"],
        setup=_seq("c.jsonl", bad_line=3, coord=10**400),
    ),
    Case("rd_missing", ["rollover", "detect", "{tmp}/none.jsonl"], ["none.jsonl"]),
    Case("rd_method", ["rollover", "detect", "{fx}/seq.jsonl", "--method", "magic"], ["--method"]),
    Case("rd_empty", ["rollover", "detect", "{fx}/empty.jsonl"], ["empty.jsonl"]),
    Case("rd_binary", ["rollover", "detect", "{fx}/binary.txt"], ["binary.txt"]),
    # ---------------------------------------------------------------- rollover keypoints
    Case(
        "rk_fps_neg",
        ["rollover", "keypoints", "{tmp}/frames", "--fps", "-5", "--out", "{tmp}/kp.jsonl"],
        ["--fps"],
        absent=["{tmp}/kp.jsonl"],
        setup=_frames(("0001.png", (64, 48))),
    ),
    Case(
        "rk_fps_nan",
        ["rollover", "keypoints", "{tmp}/frames", "--fps", "nan", "--out", "{tmp}/kp.jsonl"],
        ["--fps"],
        absent=["{tmp}/kp.jsonl"],
        setup=_frames(("0001.png", (64, 48))),
    ),
    Case(
        "rk_frames_bad",
        ["rollover", "keypoints", "{tmp}/frames", "--out", "{tmp}/kp.jsonl"],
        ["0001.png"],
        absent=["{tmp}/kp.jsonl"],
        setup=_frames(("0001.png", "this is text, not an image\n")),
        process=True,
    ),
    Case(
        "rk_frames_mixed",
        ["rollover", "keypoints", "{tmp}/frames", "--out", "{tmp}/kp.jsonl"],
        ["0002.png", "100x80", "64x48"],
        absent=["{tmp}/kp.jsonl"],
        setup=_frames(("0001.png", (64, 48)), ("0002.png", (100, 80))),
        process=True,
    ),
    Case(
        "rk_frames_bomb",
        ["rollover", "keypoints", "{tmp}/frames", "--out", "{tmp}/kp.jsonl"],
        ["0001.png", "20000x20000"],
        absent=["{tmp}/kp.jsonl"],
        setup=_frames(("0001.png", "fx:bomb.png")),
    ),
    Case(
        "rk_out_ro",
        ["rollover", "keypoints", "{tmp}/frames", "--out", "{fx}/ro/kp.jsonl"],
        ["{fx}/ro/kp.jsonl", "cannot write"],
        absent=["{fx}/ro/kp.jsonl"],
        setup=_frames(("0001.png", (64, 48))),
    ),
    Case(
        "rk_missing",
        ["rollover", "keypoints", "{tmp}/nothing", "--out", "{tmp}/kp.jsonl"],
        ["nothing"],
        absent=["{tmp}/kp.jsonl"],
    ),
    Case(
        "rk_out_eq_source",
        ["rollover", "keypoints", "{tmp}/clip.mp4", "--out", "{tmp}/clip.mp4"],
        ["--out", "SOURCE"],
        setup=_file("clip.mp4"),
        check=_file_kept("clip.mp4"),
    ),
    Case(
        "rk_out_exists",
        ["rollover", "keypoints", "{tmp}/frames", "--out", "{tmp}/mine.jsonl"],
        ["--out", "mine.jsonl"],
        check=_file_kept("mine.jsonl"),
        setup=_both(_frames(("0001.png", (64, 48))), _file("mine.jsonl")),
    ),
    Case(
        "rk_max_frames_neg",
        ["rollover", "keypoints", "{tmp}/frames", "--max-frames", "-1", "--out", "{tmp}/k.jsonl"],
        ["--max-frames"],
        absent=["{tmp}/k.jsonl"],
        setup=_frames(("0001.png", (64, 48))),
    ),
    # ---------------------------------------------------------------- rollover make-set
    Case(
        "rms_family_z",
        ["rollover", "make-set", "--out", "{tmp}/set", "--hours", "0.01", "--family", "z"],
        ["--family"],
        absent=["{tmp}/set"],
    ),
    Case(
        "rms_dropout_2",
        ["rollover", "make-set", "--out", "{tmp}/set", "--hours", "0.01", "--dropout", "2"],
        ["--dropout"],
        absent=["{tmp}/set"],
    ),
    Case(
        "rms_hours_nan",
        ["rollover", "make-set", "--out", "{tmp}/set", "--hours", "nan"],
        ["--hours"],
        absent=["{tmp}/set"],
    ),
    Case(
        "rms_hours_neg",
        ["rollover", "make-set", "--out", "{tmp}/set", "--hours", "-1"],
        ["--hours"],
        absent=["{tmp}/set"],
    ),
    Case(
        "rms_hours_tiny",
        ["rollover", "make-set", "--out", "{tmp}/set", "--hours", "1e-9"],
        ["--hours"],
        absent=["{tmp}/set"],
    ),
    Case(
        "rms_ranges",
        ["rollover", "make-set", "--out", "{tmp}/set", "--ranges", "moon"],
        ["--ranges"],
        absent=["{tmp}/set"],
    ),
    Case(
        "rms_out_ro",
        ["rollover", "make-set", "--out", "{fx}/ro/set", "--hours", "0.01"],
        ["{fx}/ro/set", "cannot write"],
        absent=["{fx}/ro/set"],
    ),
    Case(
        "rms_out_is_file",
        ["rollover", "make-set", "--out", "{tmp}/set", "--hours", "0.01"],
        ["--out", "{tmp}/set"],
        setup=_file("set"),
        check=_file_kept("set"),
    ),
    Case(
        "X4",
        ["rollover", "eval", "--data", "{tmp}/set"],
        ["--data", "{tmp}/set"],
        absent=["{tmp}/set"],
        setup=_killed_make_set,
    ),
    Case(
        "X5",
        ["rollover", "make-set", "--out", "{tmp}/mine", "--hours", "0.01"],
        ["--out", "{tmp}/mine"],
        setup=_user_folder("mine"),
        check=_user_folder_kept("mine"),
    ),
    # ---------------------------------------------------------------- rollover eval
    Case("re_missing", ["rollover", "eval", "--data", "{tmp}/nope"], ["--data"]),
    Case("re_method", ["rollover", "eval", "--data", "{tmp}", "--method", "magic"], ["--method"]),
    Case(
        "re_dwell_nan",
        ["rollover", "eval", "--data", "{tmp}", "--prone-dwell", "nan"],
        ["--prone-dwell"],
    ),
    Case(
        "re_events_binary",
        ["rollover", "eval", "--data", "{tmp}/set"],
        ["events.tsv", "UTF-8"],
        setup=_set(b"\xff\xfe\x00bad\x80"),
    ),
    Case(
        "re_events_nan",
        ["rollover", "eval", "--data", "{tmp}/set"],
        ["events.tsv", "line 2", "finite"],
        setup=_set(b"file\ttime\tevent\nseq.jsonl\tnan\tto_prone\n"),
    ),
    Case("re_no_sequences", ["rollover", "eval", "--data", "{tmp}"], ["{tmp}", "jsonl"]),
    # ---------------------------------------------------------------- rollover measure-pose
    Case(
        "rmp_missing",
        ["rollover", "measure-pose", "--data-root", "{tmp}/nope", "--out", "{tmp}/m.json"],
        ["--data-root"],
        absent=["{tmp}/m.json"],
    ),
    Case(
        "rmp_seeds_0",
        [
            "rollover",
            "measure-pose",
            "--data-root",
            "{tmp}",
            "--seeds",
            "0",
            "--out",
            "{tmp}/m.json",
        ],
        ["--seeds"],
        absent=["{tmp}/m.json"],
    ),  # fmt: skip
    Case(
        "rmp_out_exists",
        ["rollover", "measure-pose", "--data-root", "{tmp}", "--out", "{tmp}/m.json"],
        ["--out", "m.json"],
        setup=_file("m.json"),
        check=_file_kept("m.json"),
    ),
    # ---------------------------------------------------------------- rollover measure-night
    Case(
        "rmn_missing",
        ["rollover", "measure-night", "--data-root", "{tmp}/nope", "--out", "{tmp}/m.json"],
        ["--data-root"],
        absent=["{tmp}/m.json"],
    ),
    Case(
        "rmn_method_unknown",
        [
            "rollover",
            "measure-night",
            "--data-root",
            "{tmp}",
            "--methods",
            "openpose",
            "--out",
            "{tmp}/m.json",
        ],
        ["--methods", "openpose"],
        absent=["{tmp}/m.json"],
    ),  # fmt: skip
    Case(
        "rmn_clip_0",
        [
            "rollover",
            "measure-night",
            "--data-root",
            "{tmp}",
            "--clip",
            "0",
            "--out",
            "{tmp}/m.json",
        ],
        ["--clip"],
        absent=["{tmp}/m.json"],
    ),  # fmt: skip
    # ---------------------------------------------------------------- rollover bench
    Case("rb_backend_unknown", ["rollover", "bench", "--backend", "openpose"], ["--backend"]),
    Case(
        "rk_backend_unknown",
        ["rollover", "keypoints", "{tmp}", "--backend", "openpose", "--out", "{tmp}/k.jsonl"],
        ["--backend"],
        absent=["{tmp}/k.jsonl"],
    ),  # fmt: skip
    Case("rb_frames_3", ["rollover", "bench", "--frames", "3"], ["--frames"]),
    Case("rb_frames_huge", ["rollover", "bench", "--frames", "100000000"], ["--frames"]),
    # ---------------------------------------------------------------- rollover train-posture
    Case(
        "rt_data_missing",
        ["rollover", "train-posture", "--data", "{tmp}/nope", "--out", "{tmp}/w.pt"],
        ["--data"],
        absent=["{tmp}/w.pt", "{tmp}/w.npz", "{tmp}/w.json"],
    ),
    Case(
        "rt_epochs_0",
        ["rollover", "train-posture", "--data", "{tmp}", "--epochs", "0", "--out", "{tmp}/w.pt"],
        ["--epochs"],
        absent=["{tmp}/w.pt"],
    ),
    Case(
        "rt_features_20",
        ["rollover", "train-posture", "--data", "{tmp}", "--features", "20", "--out", "{tmp}/w.pt"],
        ["--features"],
        absent=["{tmp}/w.pt"],
    ),
    Case(
        "rt_out_exists",
        ["rollover", "train-posture", "--data", "{tmp}", "--out", "{tmp}/w.pt"],
        ["--out", "w.pt"],
        setup=_file("w.pt"),
        check=_file_kept("w.pt"),
    ),
    Case(
        "rt_no_truth",
        ["rollover", "train-posture", "--data", "{tmp}/set", "--out", "{tmp}/w.pt"],
        ["{tmp}/set", "ground-truth"],
        absent=["{tmp}/w.pt"],
        setup=_set(b"file\ttime\tevent\n"),
    ),
    Case(
        "rt_no_sequences",
        ["rollover", "train-posture", "--data", "{tmp}", "--out", "{tmp}/o/w.pt"],
        ["{tmp}", "jsonl"],
        absent=["{tmp}/o"],
    ),
]
