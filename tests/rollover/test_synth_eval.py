"""Synthetic generator, set writer and evaluation on a small set."""

from __future__ import annotations

import csv
import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from cribwatch.errors import CribwatchError
from cribwatch.rollover.eval import evaluate
from cribwatch.rollover.synth import SynthConfig, generate, make_set, posture_labels


def test_same_seed_same_sequence() -> None:
    cfg = SynthConfig(seq_s=30.0)
    a, ea = generate(5, cfg)
    b, eb = generate(5, cfg)
    c, _ = generate(6, cfg)
    np.testing.assert_array_equal(a.kp, b.kp)
    assert ea == eb and a.posture == b.posture
    assert not np.array_equal(a.kp, c.kp)


def test_labels_from_roll_angle() -> None:
    r = np.deg2rad([0, 30, 60, -60, 120, -120, 150, -170, 180])
    assert posture_labels(r) == [
        "supine", "supine", "side_left", "side_right", "side_left", "side_right",
        "prone", "prone", "prone",
    ]  # fmt: skip


def test_rolls_pass_through_side_and_quiet_has_no_prone() -> None:
    seq, ev = generate(3, SynthConfig(seq_s=240.0))
    names = [e for _, e in ev]
    assert "to_prone" in names
    for i, name in enumerate(names):
        if name == "to_prone":
            assert names[i - 1] == "to_side" if i else True
    quiet, qev = generate(3, SynthConfig(seq_s=240.0, quiet=True))
    assert "prone" not in quiet.posture
    assert all(e != "to_prone" for _, e in qev)


def test_prone_face_often_half_visible() -> None:
    """A prone infant turns its face to breathe: an ear or eye often stays visible."""
    seq, _ = generate(4, SynthConfig(seq_s=300.0, cover_per_hour=0.0))
    prone = np.array([p == "prone" for p in seq.posture])
    assert prone.sum() > 100
    face = (seq.kp[prone][:, :5, 2] >= 0.5).sum(axis=1)
    assert 0.3 < np.mean(face >= 1) < 1.0


def test_make_set_and_eval(tmp_path: Path) -> None:
    man = make_set(tmp_path, hours=0.1, seed=7, cfg=SynthConfig(seq_s=180.0))
    assert man["files"] == 2 and man["to_prone"] >= 3
    with open(tmp_path / "events.tsv") as fh:
        rows = list(csv.reader(fh, delimiter="\t"))
    assert rows[0] == ["file", "time", "event"]
    assert {r[2] for r in rows[1:]} <= {"to_prone", "to_supine", "to_side"}
    head = json.loads((tmp_path / "seq0000.jsonl").read_text().splitlines()[0])
    assert head["fps"] == 15.0 and head["layout"] == "coco17"
    res = evaluate(tmp_path)
    assert res["hours"] == pytest.approx(0.1, abs=1e-3)
    assert res["to_prone_events"] == man["to_prone"]
    assert res["event_recall"] >= 0.8
    assert res["false_alarms_per_hour"] <= 20
    assert res["latency_p50_s"] is not None and res["latency_p50_s"] <= 3.0
    assert res["frame_accuracy"] > 0.6


def test_eval_detects_a_broken_detector(tmp_path: Path) -> None:
    """Scoring must fail a detector that sees nothing: the metrics are not vacuous."""
    make_set(tmp_path, hours=0.05, seed=8, cfg=SynthConfig(seq_s=180.0))
    from cribwatch.rollover.events import EventConfig

    res = evaluate(tmp_path, event_cfg=replace(EventConfig(), enter_prob=1.01))
    assert res["event_recall"] == 0.0


def test_eval_bad_inputs(tmp_path: Path) -> None:
    with pytest.raises(CribwatchError, match="no \\*.jsonl"):
        evaluate(tmp_path)
    make_set(tmp_path, hours=0.02, seed=9, cfg=SynthConfig(seq_s=72.0))
    (tmp_path / "events.tsv").write_text("file\ttime\tevent\nseq0000.jsonl\tsoon\tto_prone\n")
    with pytest.raises(CribwatchError, match="line 2"):
        evaluate(tmp_path)
