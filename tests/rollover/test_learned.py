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


def test_card_gives_the_make_set_command_that_rebuilds_the_set(tmp_path: Path) -> None:
    import json

    from cribwatch.rollover.learned import card, make_set_command
    from cribwatch.rollover.synth import HELDOUT_RANGES, SynthConfig, make_set

    d = tmp_path / "q"
    cfg = SynthConfig(quiet=True, scene=HELDOUT_RANGES)
    make_set(d, 0.01, 5, cfg)
    man = json.loads((d / "manifest.json").read_text())
    cmd = make_set_command(str(d), man)
    assert (
        cmd
        == f"cribwatch rollover make-set --out {d} --hours 0.01 --seed 5 --quiet --ranges heldout"
    )
    man["config"]["noise"]["dropout"] = 0.3
    assert make_set_command(str(d), man).endswith("--ranges heldout --dropout 0.3")
    man["config"]["fps"] = 30.0
    assert "differ from this version's defaults" in make_set_command(str(d), man)
    c = card({"train_accuracy": 0.5, "loss": [1.0], "config": {}, "minutes": 0.1}, [str(d)])
    assert c["training"]["training_sets"][0]["make_set"] == cmd and c["training"]["minutes"] == 0.1


def test_head_feature_set_is_finite_and_loads_back(pose, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from cribwatch.rollover.learned import N_FEATURES_HEAD, LearnedPosture, load_numpy

    kp = np.stack([pose("supine"), pose("prone"), np.zeros((17, 3))])
    x = feature_matrix(kp, None, N_FEATURES_HEAD)
    assert x.shape == (3, 29) and np.isfinite(x).all()
    np.testing.assert_array_equal(x[:, :18], feature_matrix(kp))
    with pytest.raises(CribwatchError, match="feature set"):
        feature_matrix(kp, None, 20)
    rng = np.random.default_rng(0)
    m = LearnedPosture(
        w1=rng.normal(size=(29, 4)), b1=np.zeros(4), w2=rng.normal(size=(4, 4)), b2=np.zeros(4),
        w3=rng.normal(size=(4, 4)), b3=np.zeros(4), mean=np.zeros(29), std=np.ones(29),
    )  # fmt: skip
    f = tmp_path / "m.npz"
    np.savez(f, **m.arrays())
    back = load_numpy(f)
    assert back.n_features == 29 and back.predict(kp).shape == (3, 4)
