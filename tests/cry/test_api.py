"""The cry front desk (cribwatch.cry.api): the shipped ONNX twin, torch-free detection, alerts at
decision time, model files that never run code, the card."""

from __future__ import annotations

import hashlib
import json
import os
import pickle
import select
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from cribwatch.cry.api import (
    DEFAULT_DETECTOR,
    DEFAULT_MODEL,
    DEFAULT_WEIGHTS,
    WEIGHTS_DIR,
    Alert,
    CryDetector,
    End,
    make_scorer,
)
from cribwatch.cry.audio import read_audio, to_pcm16
from cribwatch.cry.postprocess import FilterConfig
from cribwatch.errors import CribwatchError

DEMO = Path(__file__).resolve().parents[2] / "cribwatch" / "demo" / "samples" / "cry" / "demo.flac"
DEMO_EVENTS = [{"onset": 7.9, "offset": 14.7, "score": 0.9997, "emitted": 9.5}]
"""What ``cribwatch cry detect demo.flac --json`` printed with the torch model before the ONNX
twin became the default (the board CNN alone: ``--model cry.onnx``)."""
CASCADE_DEMO_EVENTS = [{"onset": 8.1, "offset": 14.7, "score": 1.0, "emitted": 9.5}]
"""What ``cribwatch cry detect demo.flac --json`` prints with the default cascade (issue 23,
round 4: the board CNN, then the head on YAMNet's ONNX embedding)."""


def _events(det: CryDetector, x: np.ndarray, block: int = 8000) -> list[dict[str, object]]:
    msgs = [m for s in range(0, x.shape[0], block) for m in det.push(x[s : s + block])]
    msgs += det.close()
    return [m.event.to_dict() for m in msgs if isinstance(m, End)]


def test_default_model_is_the_onnx_twin() -> None:
    assert DEFAULT_MODEL == WEIGHTS_DIR / "cry.onnx" and DEFAULT_MODEL.is_file()


def test_default_detector_is_the_onnx_cascade() -> None:
    from cribwatch.cry.pretrained import CascadeScorer

    assert DEFAULT_DETECTOR == WEIGHTS_DIR / "cry_verifier_onnx.npz"
    det = CryDetector()
    assert det.model == DEFAULT_DETECTOR and isinstance(det.scorer, CascadeScorer)
    assert det.scorer.verifier.model.backend == "onnx"
    assert det.scorer.gate == 0.98 and det.config.threshold == 0.7
    assert (det.config.k_on, det.config.n_on) == (1, 1)
    assert _events(det, read_audio(DEMO)) == CASCADE_DEMO_EVENTS


def test_onnx_twin_matches_the_torch_model() -> None:
    """Logits of cry.onnx and cry.pt agree within 1e-4 on random and real windows."""
    import onnxruntime as ort
    import torch

    from cribwatch.cry.features import logmel, to_model_input
    from cribwatch.cry.model import load_model
    from cribwatch.cry.stream import windows_of

    model, _ = load_model(str(DEFAULT_WEIGHTS))
    rng = np.random.default_rng(1)
    feat = to_model_input(logmel(read_audio(DEMO)))
    real = np.ascontiguousarray(windows_of(feat)).astype(np.float32)
    rand = np.rint(rng.uniform(0, 255, (8, 98, 64))).astype(np.float32)
    x = np.concatenate([real, rand])[:, None]
    sess = ort.InferenceSession(str(DEFAULT_MODEL), providers=["CPUExecutionProvider"])
    got = np.asarray(sess.run(None, {"input": x})[0]).reshape(-1)
    with torch.no_grad():
        ref = model(torch.from_numpy(x)).numpy().reshape(-1)
    assert np.max(np.abs(got - ref)) < 1e-4


def test_onnx_twin_gives_the_torch_events_on_the_demo() -> None:
    x = read_audio(DEMO)
    assert _events(CryDetector(DEFAULT_MODEL), x) == DEMO_EVENTS
    assert _events(CryDetector(DEFAULT_WEIGHTS), x, block=3000) == DEMO_EVENTS


def test_card_is_on_the_schema_and_its_hashes_hold() -> None:
    from cribwatch.cards import read_card

    card = read_card(WEIGHTS_DIR / "cry.json", "cry")
    assert card["weights"] == "cry.pt" and card["onnx"]["file"] == "cry.onnx"
    for name, digest in card["sha256"].items():
        assert hashlib.sha256((WEIGHTS_DIR / name).read_bytes()).hexdigest() == digest, name


def _run_py(code: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", code, *args], capture_output=True, text=True, timeout=300
    )


def test_detect_process_needs_no_torch() -> None:
    """``cribwatch cry detect`` (the whole CLI) and CryDetector never import torch."""
    code = (
        "import sys\n"
        "from cribwatch.cli import main\n"
        "sys.argv = ['cribwatch', 'cry', 'detect', sys.argv[1], '--json']\n"
        "try:\n    main()\nexcept SystemExit as exc:\n    assert not exc.code, exc.code\n"
        "print('torch' in sys.modules)\n"
    )
    r = _run_py(code, str(DEMO))
    assert r.returncode == 0, r.stderr[-2000:]
    lines = r.stdout.strip().splitlines()
    assert [json.loads(ln) for ln in lines[:-1]] == CASCADE_DEMO_EVENTS
    assert lines[-1] == "False", "cry detect imported torch"
    code = (
        "import sys\n"
        "from cribwatch.cry.api import CryDetector\n"
        "from cribwatch.cry.audio import read_audio\n"
        "det = CryDetector()\n"
        "det.push(read_audio(sys.argv[1])); det.close()\n"
        "print('torch' in sys.modules)\n"
    )
    r = _run_py(code, str(DEMO))
    assert r.returncode == 0, r.stderr[-2000:]
    assert r.stdout.strip() == "False", "CryDetector imported torch"


class _Evil:
    def __init__(self, marker: str) -> None:
        self.marker = marker

    def __reduce__(self):  # type: ignore[no-untyped-def]
        return (os.system, (f"touch {self.marker}",))


def test_a_malicious_checkpoint_never_runs(tmp_path: Path) -> None:
    from cribwatch.cry.model import load_model

    marker = tmp_path / "PWNED"
    evil = tmp_path / "evil.pt"
    with open(evil, "wb") as fh:
        pickle.dump({"arch": _Evil(str(marker)), "state_dict": {}}, fh)
    for load in (lambda: make_scorer(evil), lambda: load_model(str(evil))):
        with pytest.raises(CribwatchError) as e:
            load()
        assert "evil.pt" in str(e.value)
    assert not marker.exists(), "code from a model file ran"


@pytest.mark.parametrize("name", ["text.pt", "empty.pt", "text.onnx", "empty.onnx", "x.wav"])
def test_bad_model_files_are_blamed_before_their_card(tmp_path: Path, name: str) -> None:
    model = tmp_path / name
    model.write_text("" if name.startswith("empty") else "plain text\n")
    model.with_suffix(".json").write_text("{not json")
    with pytest.raises(CribwatchError) as e:
        CryDetector(model)
    assert name in str(e.value) and ".json" not in str(e.value)


def test_alert_comes_when_the_bout_is_confirmed_end_when_it_closes() -> None:
    """30 s of continuous crying: the alert comes within seconds, the end at the close."""
    x = read_audio(DEMO)
    cry = x[int(8.0 * 16000) : int(14.5 * 16000)]
    y = np.concatenate([x[: 2 * 16000]] + [cry] * 5)  # 2 s before, 32.5 s of crying
    det = CryDetector()
    seen: list[tuple[float, Alert | End]] = []
    for s in range(0, y.shape[0], 8000):
        seen += [(det.seconds, m) for m in det.push(y[s : s + 8000])]
    seen += [(det.seconds, m) for m in det.close()]
    kinds = [type(m).__name__ for _, m in seen]
    assert kinds == ["Alert", "End"], kinds
    (t_alert, alert), (t_end, end) = seen
    assert isinstance(alert, Alert) and isinstance(end, End)
    assert t_alert <= 5.0 and t_end >= 30.0
    assert alert.onset == end.event.onset and alert.emitted == end.event.emitted


def test_every_reported_bout_has_one_alert_before_its_end() -> None:
    """A constant scorer and the smoothing filter alone: bouts that are too short get neither
    message; longer ones get an alert, then their end."""
    cfg = FilterConfig(threshold=0.5, enabled=("smoothing",), min_bout_s=2.0, m_off=1)
    rng = np.random.default_rng(0)
    x = rng.standard_normal(16000 * 40).astype(np.float32) * 0.1
    pattern = np.array([1, 1, 0, 0] + [1] * 8 + [0, 0] + [1] * 3 + [0] * 6, float)

    def scorer(w: np.ndarray) -> np.ndarray:
        scorer.k += w.shape[0]  # type: ignore[attr-defined]
        ks = np.arange(scorer.k - w.shape[0], scorer.k)  # type: ignore[attr-defined]
        return pattern[ks % pattern.shape[0]]

    scorer.k = 0  # type: ignore[attr-defined]
    det = CryDetector(scorer=scorer, filter_config=cfg)
    msgs = [m for s in range(0, x.shape[0], 5000) for m in det.push(x[s : s + 5000])]
    msgs += det.close()
    kinds = [type(m).__name__ for m in msgs]
    assert kinds and kinds == ["Alert", "End"] * (len(kinds) // 2), kinds


def test_streaming_cli_prints_the_alert_before_the_stream_ends() -> None:
    """``cry detect -``: the alert line is out while the input is still open; the end line
    comes after it."""
    x = read_audio(DEMO)
    cry = x[int(8.0 * 16000) : int(14.5 * 16000)]
    pcm = to_pcm16(np.concatenate([x[: 2 * 16000]] + [cry] * 5)).astype("<i2").tobytes()
    head = 8 * 16000 * 2  # 8 s: the bout is confirmed at 3.5 s
    proc = subprocess.Popen(
        [sys.executable, "-m", "cribwatch.cli", "cry", "detect", "-", "--json"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert proc.stdin is not None and proc.stdout is not None
    try:
        proc.stdin.write(pcm[:head])
        proc.stdin.flush()
        ready, _, _ = select.select([proc.stdout], [], [], 120)
        assert ready, "no alert line while the stream is open"
        first = json.loads(proc.stdout.readline())
        assert first["type"] == "alert", first
        proc.stdin.write(pcm[head:])
        proc.stdin.close()
        rest = [json.loads(ln) for ln in proc.stdout.read().splitlines() if ln.strip()]
        assert proc.wait(timeout=120) == 0, proc.stderr.read() if proc.stderr else ""
    finally:
        proc.kill()
    assert [r["type"] for r in rest] == ["end"]
    assert rest[0]["onset"] == first["onset"] and rest[0]["offset"] > 30.0


def test_no_silent_user_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A config file in the user's config folder is never loaded behind the user's back: the
    detector uses the model card's config unless --config names one."""
    from cribwatch.cry.api import load_filter_config

    folder = tmp_path / "cfg" / "cribwatch"
    folder.mkdir(parents=True)
    (folder / "cry-detector.json").write_text(json.dumps({"detector": {"threshold": 0.2}}))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "cfg"))
    card = load_filter_config(None, DEFAULT_WEIGHTS)
    assert card.threshold == 0.991
    assert CryDetector(DEFAULT_MODEL).config == card
    assert _events(CryDetector(DEFAULT_MODEL), read_audio(DEMO)) == DEMO_EVENTS
    cascade_card = load_filter_config(None, DEFAULT_DETECTOR)
    assert cascade_card.threshold == 0.7
    assert CryDetector().config == cascade_card
    assert _events(CryDetector(), read_audio(DEMO)) == CASCADE_DEMO_EVENTS


def test_tune_without_out_writes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, tiny_model: object
) -> None:
    from cribwatch.cry import tasks
    from cribwatch.cry.train import save_checkpoint
    from tests.cry.test_synth_and_train import make_tiny_set

    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "cfg"))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    make_tiny_set(tmp_path / "s", n_files=2)
    save_checkpoint(tmp_path / "m.pt", tiny_model, {})  # type: ignore[arg-type]
    before = sorted(p for p in tmp_path.rglob("*") if ".cache" not in p.parts)
    res = tasks.tune(tmp_path / "s", 100.0, tmp_path / "m.pt")
    after = sorted(p for p in tmp_path.rglob("*") if ".cache" not in p.parts)
    assert after == before and res["config"] is None
    assert FilterConfig.from_dict(res["detector"]).threshold == res["threshold"]  # type: ignore[arg-type]
    res = tasks.tune(tmp_path / "s", 100.0, tmp_path / "m.pt", out=tmp_path / "t.json")
    assert (
        json.loads((tmp_path / "t.json").read_text())["detector"]["threshold"] == res["threshold"]
    )


def test_audio_files_over_the_length_cap_are_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from cribwatch.cry.stream import wav_blocks

    monkeypatch.setenv("CRIBWATCH_MAX_AUDIO_SECONDS", "5")
    for read in (lambda: read_audio(DEMO), lambda: next(wav_blocks(DEMO))):
        with pytest.raises(CribwatchError) as e:
            read()
        assert "demo.flac" in str(e.value) and "CRIBWATCH_MAX_AUDIO_SECONDS" in str(e.value)
