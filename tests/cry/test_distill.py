"""Distillation into the board CNN: teacher scores, soft targets, the ``python -m`` entry."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from tests.cry.test_synth_and_train import make_tiny_set


def test_teacher_target_is_interpolated_on_its_grid() -> None:
    from cribwatch.cry.train import Windows

    feats = {"a": (np.zeros((300, 64), np.uint8), 3.0), "b": (np.zeros((300, 64), np.uint8), 3.0)}
    soft = {"a": np.array([0.0, 1.0, 0.5], np.float32)}
    w = Windows(feats, {}, ["a", "b"], 0.01, soft, 0.25)
    t = w.teacher([(0, 0), (0, 25), (0, 10), (0, 40), (0, 200), (1, 0)])
    assert np.allclose(t[:5], [0.0, 1.0, 0.4, 0.7, 0.5])  # frame 200 is past the grid: last
    assert np.isnan(t[5])  # no teacher scores for b: the label alone


def test_zero_teacher_weight_is_the_labels_only_run(tmp_path: Path) -> None:
    from cribwatch.cry.train import TrainConfig, train

    make_tiny_set(tmp_path / "set", n_files=4)
    cfg = TrainConfig(minutes=5, steps=3, val_every_steps=3, batch=8, seed=2, keep="last")
    train(tmp_path / "set", tmp_path / "a.pt", cfg, log=False)
    soft = {f"f{i}.wav": np.full(40, 0.7, np.float32) for i in range(4)}
    train(tmp_path / "set", tmp_path / "b.pt", cfg, log=False, soft=soft)
    a = torch.load(tmp_path / "a.pt", weights_only=True)["state_dict"]
    b = torch.load(tmp_path / "b.pt", weights_only=True)["state_dict"]
    assert all(torch.equal(a[k], b[k]) for k in a)
    c = train(
        tmp_path / "set",
        tmp_path / "c.pt",
        TrainConfig(
            minutes=5, steps=3, val_every_steps=3, batch=8, seed=2, keep="last", teacher_weight=1.0
        ),
        log=False,
        soft=soft,
    )
    w = torch.load(tmp_path / "c.pt", weights_only=True)["state_dict"]
    assert any(not torch.equal(a[k], w[k]) for k in a)  # the teacher's targets moved it
    assert c["train_config"]["teacher_weight"] == 1.0  # type: ignore[index]


def test_distill_scores_the_teacher_and_trains_a_board_sized_student(tmp_path: Path) -> None:
    pytest.importorskip("ai_edge_litert")
    from cribwatch.cry.distill import distill, teacher_scores
    from cribwatch.cry.model import load_model
    from cribwatch.cry.train import TrainConfig

    make_tiny_set(tmp_path / "set", n_files=2)
    sc = teacher_scores(tmp_path / "set", "class20")
    # 8 s files: windows of 1 s every 0.25 s
    assert set(sc) == {"f0.wav", "f1.wav"} and sc["f0.wav"].shape == (29,)
    assert np.all((sc["f0.wav"] >= 0) & (sc["f0.wav"] <= 1))
    ver = teacher_scores(tmp_path / "set", "verifier")
    assert ver["f1.wav"].shape == (29,) and np.all(np.isfinite(ver["f1.wav"]))
    from cribwatch.cry.distill import VERIFIER
    from cribwatch.cry.pretrained import VerifierHead

    assert VerifierHead.load(VERIFIER).needs_embedding  # the default cascade's head
    on_scores = teacher_scores(tmp_path / "set", "verifier", VERIFIER.with_name("cry_verifier.npz"))
    assert on_scores["f1.wav"].shape == (29,)
    assert not np.allclose(on_scores["f1.wav"], ver["f1.wav"])  # another head, another input
    cfg = TrainConfig(
        minutes=5, steps=2, val_every_steps=2, batch=8, keep="last", teacher_weight=0.5
    )
    meta = distill([tmp_path / "set"], tmp_path / "w.pt", cfg, "class20")
    model, m2 = load_model(str(tmp_path / "w.pt"))
    assert m2["distill"]["teacher"] == "class20" and m2["steps"] == 2  # type: ignore[index]
    assert int(meta["params"]) <= 50_000 and int(meta["macs"]) <= 2_000_000  # type: ignore[call-overload]


def test_entry_refuses_a_bad_option_with_one_line(tmp_path: Path) -> None:
    make_tiny_set(tmp_path / "set", n_files=2)
    r = subprocess.run(
        [
            sys.executable,
            "-m",
            "cribwatch.cli",
            "cry",
            "distill",
            "--data",
            str(tmp_path / "set"),
            "--out",
            str(tmp_path / "w.pt"),
            "--teacher-weight",
            "1.5",
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    lines = r.stderr.strip().splitlines()
    assert r.returncode == 2 and len(lines) == 1 and lines[0].startswith("error:"), r.stderr
    assert "--teacher-weight" in lines[0] and not (tmp_path / "w.pt").exists()


def test_valid_threshold_follows_the_written_rule() -> None:
    from cribwatch.cry.distill import valid_threshold

    curve = [
        {"threshold": 0.9, "sensitivity": 0.9, "far_per_hour": 3.0},
        {"threshold": 0.95, "sensitivity": 0.8, "far_per_hour": 0.9},
        {"threshold": 0.99, "sensitivity": 0.8, "far_per_hour": 0.2},
        {"threshold": 0.999, "sensitivity": 0.5, "far_per_hour": 0.0},
    ]
    assert valid_threshold(curve) == 0.99  # best sensitivity at <= 1 FA/h, ties: higher
    high = [{**c, "far_per_hour": c["far_per_hour"] + 5} for c in curve]
    assert valid_threshold(high) == 0.999  # none reaches 1 FA/h: the lowest FA/h


def test_paired_difference_resamples_babies() -> None:
    from cribwatch.cry.bootstrap import CryOutcome
    from cribwatch.cry.distill import paired_by_baby

    def oc(i: int, found: bool, baby: str, src: str = "real") -> CryOutcome:
        return CryOutcome(f"m{i}.wav", 2.0, found, 1.0, src, "0", baby)

    a = [oc(i, True, f"b{i // 2}") for i in range(8)] + [oc(9, False, "s", "synth")]
    b = [oc(i, i % 2 == 0, f"b{i // 2}") for i in range(8)] + [oc(9, True, "s", "synth")]
    r = paired_by_baby(a, b)
    assert r["difference"] == 0.5  # synthesized cries left out
    lo, hi = r["ci95"]  # type: ignore[misc]
    assert lo == hi == 0.5  # every baby differs by one cry of two
