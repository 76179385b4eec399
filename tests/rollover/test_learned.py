"""The shipped learned posture classifier, and the rules/learned/both switch."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from cribwatch.errors import CribwatchError
from cribwatch.rollover.events import run
from cribwatch.rollover.learned import CLASSES, WEIGHTS, feature_matrix, load, train


def test_shipped_weights_and_card() -> None:
    assert WEIGHTS.is_file() and WEIGHTS.with_suffix(".json").is_file()
    assert WEIGHTS.stat().st_size < 100_000


@pytest.mark.parametrize("posture", ["supine", "prone", "side_left", "side_right"])
def test_learned_on_constructed_postures(posture: str, pose, rotate) -> None:  # type: ignore[no-untyped-def]
    model = load()
    kp = np.stack([rotate(pose(posture), d) for d in (0, 90, 215)])
    p = model.predict(kp)
    assert p.shape == (3, 4)
    np.testing.assert_allclose(p.sum(axis=1), 1.0, atol=1e-5)
    assert [CLASSES[i] for i in p.argmax(axis=1)] == [posture] * 3


def test_feature_matrix_shape_and_finite(pose) -> None:  # type: ignore[no-untyped-def]
    x = feature_matrix(np.stack([pose("supine"), np.zeros((17, 3))]))
    assert x.shape == (2, 18) and np.isfinite(x).all()


def test_methods_agree_on_a_clean_roll(pose) -> None:  # type: ignore[no-untyped-def]
    seq = ["supine"] * 45 + ["side_left"] * 40 + ["prone"] * 60
    kp = np.stack([pose(p) for p in seq])
    t = np.arange(len(seq)) / 15.0
    for method in ("rules", "learned", "both"):
        det = run(t, kp, method=method)
        alerts = [e for e in det.events if e.kind == "alert" and e.event == "to_prone"]
        assert len(alerts) == 1, method
    with pytest.raises(CribwatchError, match="posture method"):
        run(t, kp, method="magic")


def test_training_learns_a_separable_toy_problem() -> None:
    rng = np.random.default_rng(0)
    y = rng.integers(0, 4, 2000)
    x = rng.normal(0, 1, (2000, 18)).astype(np.float32)
    x[:, 0] += 6.0 * y
    model, info = train(x, y)
    assert info["train_accuracy"] > 0.9
    assert info["loss"][-1] < info["loss"][0]


def test_bad_weights_file(tmp_path: Path) -> None:
    p = tmp_path / "w.pt"
    p.write_bytes(b"junk")
    with pytest.raises(CribwatchError, match="w.pt"):
        load(p)
    with pytest.raises(CribwatchError, match="not found"):
        load(tmp_path / "missing.pt")
