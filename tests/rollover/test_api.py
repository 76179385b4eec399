"""The front desk (RolloverDetector), the numpy twin of the posture model, and its card."""

from __future__ import annotations

import hashlib
import os
import pickle
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from cribwatch import cards
from cribwatch.errors import CribwatchError
from cribwatch.io import written_by_cribwatch
from cribwatch.rollover.api import RolloverDetector, detect, model_card
from cribwatch.rollover.learned import (
    NUMPY_WEIGHTS,
    WEIGHTS,
    export_numpy,
    feature_matrix,
    load,
    load_numpy,
    load_torch,
)
from cribwatch.rollover.pose import Sequence, write_sequence
from cribwatch.rollover.synth import SynthConfig, generate


def _torch_mlp(path: Path):  # type: ignore[no-untyped-def]
    """The posture MLP as a torch module, built from the ``.pt`` tensors."""
    import torch

    s = torch.load(path, map_location="cpu", weights_only=True)
    f, h = s["w1"].shape
    net = torch.nn.Sequential(
        torch.nn.Linear(f, h), torch.nn.ReLU(), torch.nn.Linear(h, s["w2"].shape[1]),
        torch.nn.ReLU(), torch.nn.Linear(s["w2"].shape[1], s["w3"].shape[1]),
    )  # fmt: skip
    with torch.no_grad():
        for lin, w, b in zip(net[::2], ("w1", "w2", "w3"), ("b1", "b2", "b3"), strict=True):
            lin.weight.copy_(s[w].T)
            lin.bias.copy_(s[b])
    return net, s["mean"], s["std"]


def test_numpy_twin_matches_the_torch_model() -> None:
    import torch

    seq, _ = generate(2, SynthConfig(seq_s=40.0))
    rng = np.random.default_rng(0)
    x = np.concatenate([feature_matrix(seq.kp), rng.normal(0, 2, (200, 18)).astype(np.float32)])
    net, mean, std = _torch_mlp(WEIGHTS)
    with torch.no_grad():
        want = net((torch.from_numpy(x) - mean) / std).numpy()
    got = load().logits(x)
    np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-4)
    twin, pt = load_numpy(NUMPY_WEIGHTS).arrays(), load_torch(WEIGHTS).arrays()
    assert twin.keys() == pt.keys()
    for k in twin:
        np.testing.assert_array_equal(twin[k], pt[k])


def test_shipped_twin_is_the_export_of_the_shipped_weights(tmp_path: Path) -> None:
    out = export_numpy(WEIGHTS, tmp_path / "twin.npz")
    a, b = load_numpy(out).arrays(), load_numpy(NUMPY_WEIGHTS).arrays()
    for k in a:
        np.testing.assert_array_equal(a[k], b[k])
    assert out.stat().st_size < 100_000


def test_card_follows_the_one_schema_and_hashes_both_files() -> None:
    card = model_card()
    assert card["capability"] == "rollover" and card["weights"] == WEIGHTS.name
    assert card["numpy_twin"] == NUMPY_WEIGHTS.name
    assert set(card["licences"]) and card["training"]["config"]["hidden"] == 32
    for p in (WEIGHTS, NUMPY_WEIGHTS):
        assert card["sha256"][p.name] == hashlib.sha256(p.read_bytes()).hexdigest()
        assert written_by_cribwatch(p)  # train-posture may replace them without --force
    with pytest.raises(CribwatchError, match="rollover"):
        cards.read_card(cards.card_path(WEIGHTS), "cry")


class _Evil:
    def __init__(self, marker: str) -> None:
        self.marker = marker

    def __reduce__(self):  # type: ignore[no-untyped-def]
        return (os.system, (f"touch {self.marker}",))


@pytest.mark.parametrize("suffix", [".pt", ".npz"])
def test_a_model_file_cannot_run_code(tmp_path: Path, suffix: str) -> None:
    evil = tmp_path / f"evil{suffix}"
    marker = tmp_path / "PWNED"
    if suffix == ".npz":
        np.savez(evil, w1=np.array([_Evil(str(marker))], dtype=object))
    else:
        with open(evil, "wb") as fh:
            pickle.dump(_Evil(str(marker)), fh)
    with pytest.raises(CribwatchError, match=f"evil{suffix}"):
        load(evil)
    with pytest.raises(CribwatchError, match=f"evil{suffix}"):
        RolloverDetector(model=evil)
    assert not marker.exists()


def test_bad_twin_is_named(tmp_path: Path) -> None:
    p = tmp_path / "w.npz"
    arrays = load_numpy(NUMPY_WEIGHTS).arrays()
    arrays["w1"] = arrays["w1"][:5]
    np.savez(p, **arrays)
    with pytest.raises(CribwatchError, match="w.npz.*w1"):
        load(p)
    p.write_text("junk")
    with pytest.raises(CribwatchError, match="w.npz"):
        load(p)


def _roll(pose) -> tuple[np.ndarray, np.ndarray]:  # type: ignore[no-untyped-def]
    seq = ["supine"] * 45 + ["side_left"] * 40 + ["prone"] * 60
    kp = np.stack([pose(p) for p in seq])
    return np.arange(len(seq)) / 15.0, kp


@pytest.mark.parametrize("method", ["both", "learned", "rules"])
def test_streaming_decides_as_the_batch_run(method: str) -> None:
    seq, _ = generate(9, SynthConfig(seq_s=120.0, cover_per_hour=60.0))
    det = RolloverDetector(method=method)
    batch = det.run(seq.t, seq.kp)
    streamed = []
    postures = []
    for t, kp in zip(seq.t, seq.kp, strict=True):
        new = det.update(t, kp)
        assert all(e.time == t for e in new)  # emitted on the frame that decides it
        streamed.extend(new)
        postures.append(det.posture)
    assert [(e.time, e.event, e.kind) for e in streamed] == [
        (e.time, e.event, e.kind) for e in batch.events
    ]
    np.testing.assert_allclose(
        [e.confidence for e in streamed], [e.confidence for e in batch.events], atol=1e-5
    )
    assert postures == batch.postures
    assert any(e.kind == "alert" for e in streamed)


def test_alert_when_the_roll_is_confirmed(pose) -> None:  # type: ignore[no-untyped-def]
    t, kp = _roll(pose)
    det = RolloverDetector()
    alerts = []
    for ti, ki in zip(t, kp, strict=True):
        alerts += [(ti, e.event) for e in det.update(ti, ki) if e.kind == "alert"]
    assert [e for _, e in alerts] == ["to_prone"]
    assert 85 / 15.0 < alerts[0][0] < 85 / 15.0 + 2.0
    assert det.posture == "prone"
    det.reset()
    assert det.posture == "unknown"


def test_update_refuses_bad_frames(pose) -> None:  # type: ignore[no-untyped-def]
    det = RolloverDetector()
    det.update(1.0, pose("supine"))
    with pytest.raises(CribwatchError, match="backwards"):
        det.update(0.5, pose("supine"))
    with pytest.raises(CribwatchError, match="finite"):
        det.update(float("nan"), pose("supine"))
    with pytest.raises(CribwatchError, match="shape"):
        det.update(2.0, np.zeros((12, 3)))
    bad = pose("supine")
    bad[3, 0] = np.inf
    with pytest.raises(CribwatchError, match="finite"):
        det.update(2.0, bad)
    with pytest.raises(CribwatchError, match="pose backend"):
        det.update_frame(2.0, np.zeros((8, 8, 3), np.uint8))
    with pytest.raises(CribwatchError, match="posture method"):
        RolloverDetector(method="magic")


def test_detect_file(pose, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    t, kp = _roll(pose)
    p = tmp_path / "roll.jsonl"
    write_sequence(p, Sequence(fps=15.0, width=400, height=400, t=t, kp=kp.astype(np.float32)))
    det = detect(p, prone_limit_s=2.0)
    names = [(e.event, e.kind) for e in det.events]
    assert ("to_prone", "alert") in names and ("prone_too_long", "alert") in names
    with pytest.raises(CribwatchError, match="prone_limit"):
        detect(p, prone_limit_s=float("nan"))


BLOCK = """
import sys
BLOCKED = {blocked!r}
class _NoTorch:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in BLOCKED:
            raise ImportError("blocked by the test: " + name)
        return None
sys.meta_path.insert(0, _NoTorch())
"""
#: Packages outside the runtime install (tools/wheel_check.py's TRAIN_ONLY).
NOT_RUNTIME = ("torch", "kornia", "onnx", "skimage", "sed_eval", "matplotlib", "mediapipe")


def test_detect_process_needs_no_torch(pose, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """`rollover detect seq.jsonl` runs with torch (and every other non-runtime package, MediaPipe
    included) impossible to import."""
    t, kp = _roll(pose)
    p = tmp_path / "roll.jsonl"
    write_sequence(p, Sequence(fps=15.0, width=400, height=400, t=t, kp=kp.astype(np.float32)))
    code = BLOCK.format(blocked=NOT_RUNTIME) + (
        "from cribwatch.rollover.cli import app\n"
        "import cribwatch.rollover.api, cribwatch.rollover.eval, cribwatch.rollover.synth\n"
        f"try:\n    app(['detect', {str(p)!r}, '--json'])\n"
        "except SystemExit as e:\n    assert not e.code, e.code\n"
        "print('torch' in sys.modules, 'mediapipe' in sys.modules)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path, timeout=120
    )
    assert out.returncode == 0, out.stderr
    lines = out.stdout.strip().splitlines()
    assert lines[-1] == "False False"
    assert any('"to_prone"' in ln and '"alert"' in ln for ln in lines)


def test_train_posture_writes_weights_twin_and_card(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from cribwatch.rollover.cli import app
    from cribwatch.rollover.synth import make_set

    make_set(tmp_path / "set", 0.005, 3, SynthConfig(seq_s=18.0))
    out = tmp_path / "w" / "posture.pt"
    argv = ["train-posture", "--data", str(tmp_path / "set"), "--out", str(out), "--epochs", "1"]
    for _ in range(2):  # the second run replaces its own outputs without --force
        res = CliRunner().invoke(app, argv)
        assert res.exit_code == 0, res.output
    card = cards.read_card(out.with_suffix(".json"), "rollover")
    assert card["weights"] == "posture.pt" and card["numpy_twin"] == "posture.npz"
    assert card["training"]["config"]["epochs"] == 1
    a, b = load(out).arrays(), load(out.with_suffix(".npz")).arrays()
    for k in a:
        np.testing.assert_array_equal(a[k], b[k])
    for p in (out, out.with_suffix(".npz")):
        assert card["sha256"][p.name] == hashlib.sha256(p.read_bytes()).hexdigest()


def test_cribwatch_rollover_detect_needs_no_torch(pose, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """The whole `cribwatch` CLI: `cribwatch rollover detect seq.jsonl` never imports torch."""
    t, kp = _roll(pose)
    p = tmp_path / "roll.jsonl"
    write_sequence(p, Sequence(fps=15.0, width=400, height=400, t=t, kp=kp.astype(np.float32)))
    code = BLOCK.format(blocked=("torch", "kornia", "mediapipe")) + (
        "from cribwatch.cli import main\n"
        f"sys.argv = ['cribwatch', 'rollover', 'detect', {str(p)!r}, '--json']\n"
        "try:\n    main()\n"
        "except SystemExit as e:\n    assert not e.code, e.code\n"
        "print('torch' in sys.modules, 'mediapipe' in sys.modules)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path, timeout=120
    )
    assert out.returncode == 0, out.stderr
    lines = out.stdout.strip().splitlines()
    assert lines[-1] == "False False"
    assert any('"to_prone"' in ln and '"alert"' in ln for ln in lines)


class _Replay:
    """A pose backend that replays keypoints (one per frame), whatever the frame shows."""

    name = "replay"

    def __init__(self, kps: np.ndarray) -> None:
        self.kps = list(kps)
        self.closed = False

    def process(self, rgb: np.ndarray) -> np.ndarray:
        assert rgb.dtype == np.uint8 and rgb.ndim == 3
        return np.asarray(self.kps.pop(0), dtype=np.float32)

    def close(self) -> None:
        self.closed = True


def test_frames_through_a_pose_backend(pose) -> None:  # type: ignore[no-untyped-def]
    t, kp = _roll(pose)
    backend = _Replay(kp)
    frame = np.zeros((48, 64, 3), np.uint8)
    with RolloverDetector(backend=backend) as det:
        alerts = [e.event for ti in t for e in det.update_frame(ti, frame) if e.kind == "alert"]
    assert alerts == ["to_prone"] and backend.closed
    with pytest.raises(CribwatchError, match="pose backend"):
        RolloverDetector.with_pose("openpose")
