"""Outputs of the roll-over verbs: sets swapped in whole (re-run, kill), keypoint files atomic."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from cribwatch.errors import CribwatchError
from cribwatch.io import written_by_cribwatch
from cribwatch.rollover.api import extract_keypoints
from cribwatch.rollover.cli import app
from cribwatch.rollover.eval import evaluate
from cribwatch.rollover.synth import SynthConfig, make_set

runner = CliRunner()
ROOT = Path(__file__).resolve().parents[2]
SMALL = SynthConfig(seq_s=30.0)


def _tree(d: Path) -> dict[str, str]:
    return {
        str(p.relative_to(d)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(d.rglob("*"))
        if p.is_file()
    }


def test_rerun_replaces_its_own_set_whole(tmp_path: Path) -> None:
    d = tmp_path / "set"
    make_set(d, 90 / 3600, 1, SMALL)
    assert (d / "seq0002.jsonl").is_file() and written_by_cribwatch(d)
    man = make_set(d, 60 / 3600, 5, SMALL)
    assert sorted(p.name for p in d.glob("*.jsonl")) == ["seq0000.jsonl", "seq0001.jsonl"]
    assert evaluate(d)["files"] == man["files"] == 2
    assert not list(tmp_path.glob(".set.*"))


def test_cli_rerun_works_and_a_foreign_folder_needs_force(tmp_path: Path) -> None:
    d = tmp_path / "set"
    for _ in range(2):
        res = runner.invoke(app, ["make-set", "--out", str(d), "--hours", "0.005"])
        assert res.exit_code == 0, res.output
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "notes.txt").write_text("mine")
    res = runner.invoke(app, ["make-set", "--out", str(mine), "--hours", "0.005"])
    assert res.exit_code == 2 and "--force" in res.output
    assert (mine / "notes.txt").is_file()
    res = runner.invoke(app, ["make-set", "--out", str(mine), "--hours", "0.005", "--force"])
    assert res.exit_code == 0, res.output
    assert not (mine / "notes.txt").exists() and (mine / "manifest.json").is_file()


MAKE_SET = (
    "import sys\nfrom cribwatch.rollover.cli import app\n"
    "sys.argv = ['cribwatch-rollover', *sys.argv[1:]]\napp()\n"
)


def test_killed_make_set_leaves_the_old_set(tmp_path: Path) -> None:
    d = tmp_path / "set"
    make_set(d, 90 / 3600, 1, SMALL)
    before = _tree(d)
    proc = subprocess.Popen(
        [sys.executable, "-c", MAKE_SET, "make-set", "--out", str(d), "--hours", "0.5"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline and proc.poll() is None:
            if any(tmp_path.glob(".set.partial-*/seq0000.jsonl")):
                break
            time.sleep(0.05)
        assert proc.poll() is None
        proc.send_signal(signal.SIGKILL)
    finally:
        proc.kill()
        proc.wait()
    assert _tree(d) == before
    assert evaluate(d)["files"] == 3


class _Counting:
    """A pose backend that finds a fixed person; counts frames and closes."""

    name = "fake"

    def __init__(self) -> None:
        self.frames = 0
        self.closed = False

    def process(self, rgb: np.ndarray) -> np.ndarray:
        self.frames += 1
        kp = np.zeros((17, 3), np.float32)
        kp[:, 0], kp[:, 1], kp[:, 2] = np.arange(17), np.arange(17), 0.9
        return kp

    def close(self) -> None:
        self.closed = True


def _frames(d: Path, sizes: list[tuple[int, int]]) -> Path:
    from PIL import Image

    d.mkdir()
    for i, (w, h) in enumerate(sizes):
        Image.fromarray(np.zeros((h, w, 3), np.uint8)).save(d / f"{i:04d}.png")
    return d


def test_extract_keypoints_writes_only_whole_sequences(tmp_path: Path) -> None:
    src = _frames(tmp_path / "frames", [(32, 24)] * 3)
    out = tmp_path / "kp.jsonl"
    backend = _Counting()
    ticks: list[tuple[int, int | None]] = []
    seq = extract_keypoints(
        src, out, fps=10.0, backend=backend, progress=lambda d, t=None: ticks.append((d, t))
    )
    assert seq.n == 3 and backend.frames == 3 and not backend.closed
    assert ticks[-1] == (3, 3)
    lines = out.read_text().splitlines()
    assert json.loads(lines[0])["fps"] == 10.0 and len(lines) == 4
    assert written_by_cribwatch(out)
    bad = _frames(tmp_path / "mixed", [(32, 24), (40, 24)])
    with pytest.raises(CribwatchError, match="0001.png.*40x24.*32x24"):
        extract_keypoints(bad, tmp_path / "k2.jsonl", backend=_Counting())
    assert not (tmp_path / "k2.jsonl").exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".k2")]
