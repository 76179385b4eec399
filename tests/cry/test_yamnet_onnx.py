"""Issue 23, round 4: YAMNet as ONNX (``cribwatch cry yamnet-onnx``; the shipped
``cry_yamnet_emb.onnx``): the build reproduces the shipped file and checks parity with the int8
TFLite graph, the verifier runs on its float embedding with ONNX Runtime alone, an alert needs
both stages, streaming equals offline, and nothing needs LiteRT at run time."""

from __future__ import annotations

import builtins
import sys
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from cribwatch.cards import read_card, write_card
from cribwatch.cry import yamnet as y
from cribwatch.cry.api import CryDetector, make_scorer
from cribwatch.cry.audio import read_audio
from cribwatch.cry.postprocess import FilterConfig
from cribwatch.cry.pretrained import CascadeScorer, VerifierHead, VerifierScorer
from cribwatch.cry.stream import OnnxScorer, detect_offline
from cribwatch.errors import CribwatchError

DEMO = Path(__file__).resolve().parents[2] / "cribwatch/demo/samples/cry/demo.flac"


@pytest.fixture(scope="module")
def onnx_net() -> y.Yamnet:
    return y.Yamnet(embedding=True)


def _emb_head(hidden: int = 4, bias: float = 0.0, seed: int = 0) -> VerifierHead:
    rng = np.random.default_rng(seed)
    return VerifierHead(
        mean=np.full(y.EMBED_DIM, 0.3),
        std=np.full(y.EMBED_DIM, 0.3),
        w1=rng.standard_normal((y.EMBED_DIM, hidden)) * 0.05,
        b1=np.zeros(hidden),
        w2=rng.standard_normal(hidden),
        b2=bias,
        kind="embedding",
    )


def test_default_yamnet_is_the_shipped_onnx(onnx_net: y.Yamnet) -> None:
    assert y.DEFAULT_MODEL == y.ONNX_WEIGHTS and y.ONNX_WEIGHTS.is_file()
    assert y.ONNX_WEIGHTS.stat().st_size < 5_000_000
    assert onnx_net.backend == "onnx" and onnx_net.has_embedding
    p = y.golden_patches()
    scores, emb = onnx_net.embed(p)
    assert scores.shape == (len(p), y.N_CLASSES) and emb.shape == (len(p), y.EMBED_DIM)
    f = onnx_net.dequantize(emb)
    assert f.min() >= 0 and f.max() <= 6.0 + 1e-5 and (f > 0).any()
    assert np.allclose(onnx_net(p), scores, atol=1e-6)
    # YAMNet's own test signals: silence is "Silence", a 440 Hz sine "Sine wave"
    assert int(np.argmax(scores[0])) == 494 and int(np.argmax(scores[1])) == 495
    card = read_card(y.ONNX_WEIGHTS.with_suffix(".json"), "cry")
    assert "Apache-2.0" in card["licences"]["model"] and "CC-BY-4.0" in card["licences"]["AudioSet"]
    assert "Google" in card["notice"]
    with pytest.raises(CribwatchError, match="embedding=True"):
        y.Yamnet().embed(p)


def test_onnx_parity_with_tflite_and_build_reproduces_shipped_file(tmp_path: Path) -> None:
    pytest.importorskip("ai_edge_litert")
    pytest.importorskip("onnx")
    check = y.parity(y.ONNX_WEIGHTS, y.WEIGHTS, y.golden_patches())
    assert check["class20_max_abs_diff"] <= y.PARITY_LIMITS["class20_max_abs_diff"]
    assert check["embedding_correlation"] >= y.PARITY_LIMITS["embedding_correlation"]
    res = y.build_onnx(tmp_path / "yam.onnx")
    assert (
        res["sha256"]
        == read_card(y.ONNX_WEIGHTS.with_suffix(".json"), "cry")["sha256"][y.ONNX_WEIGHTS.name]
    )
    assert (tmp_path / "yam.onnx").read_bytes() == y.ONNX_WEIGHTS.read_bytes()
    assert res["macs"] == 69_165_056 and res["weights"] == 3_718_016
    assert read_card(tmp_path / "yam.json", "cry")["weights"] == "yam.onnx"
    y.build_onnx(tmp_path / "yam.onnx")  # its own earlier output: no --force needed


def test_onnx_verifier_loads_and_scores(tmp_path: Path, onnx_net: y.Yamnet) -> None:
    head = _emb_head()
    path = tmp_path / "v.npz"
    head.save(path)
    write_card(
        path.with_suffix(".json"),
        {
            "capability": "cry",
            "model": "test head",
            "weights": "v.npz",
            "yamnet": "cry_yamnet_emb.onnx",
            "architecture": {},
            "training": {},
            "licences": {"test": "none"},
        },
    )
    (tmp_path / "cry_yamnet_emb.onnx").write_bytes(y.ONNX_WEIGHTS.read_bytes())
    v = make_scorer(path)
    assert isinstance(v, VerifierScorer) and v.model.backend == "onnx"
    audio = np.random.default_rng(2).standard_normal((3, 16000)).astype(np.float32) * 0.1
    out = v(audio)
    assert out.shape == (3,) and np.all((out > 0) & (out < 1))
    s, e = onnx_net.embed(y.audio_patches(audio))
    assert np.allclose(out, head(s, onnx_net.dequantize(e)))


def _cascade(first: float | None, bias: float, net: y.Yamnet) -> CascadeScorer:
    class Const:
        def __call__(self, x: np.ndarray) -> np.ndarray:
            return np.full(len(x), first)

    board = OnnxScorer(y.WEIGHTS.with_name("cry.onnx"))
    return CascadeScorer(
        board if first is None else Const(), VerifierScorer(_emb_head(bias=bias), net), 0.9
    )


def test_onnx_cascade_alert_needs_both_stages(onnx_net: y.Yamnet) -> None:
    x = read_audio(DEMO)
    cfg = FilterConfig(threshold=0.5, enabled=("smoothing",))
    for first, bias, want in ((0.99, 100.0, True), (0.99, -100.0, False), (0.0, 100.0, False)):
        sc = _cascade(first, bias, onnx_net)
        det = CryDetector(scorer=sc, filter_config=cfg)
        msgs = [m.to_dict() for m in det.push(x) + det.close()]
        assert any(m["type"] == "alert" for m in msgs) is want
        assert sc.verifier_calls == (sc.windows if first >= 0.9 else 0)


def _no_litert(monkeypatch: pytest.MonkeyPatch) -> None:
    real = builtins.__import__

    def fake(name: str, *args: object, **kwargs: object) -> object:
        if name.split(".")[0] == "ai_edge_litert":
            raise ImportError(f"No module named {name!r} (simulated)")
        return real(name, *args, **kwargs)  # type: ignore[arg-type]

    for mod in [m for m in sys.modules if m.split(".")[0] == "ai_edge_litert"]:
        monkeypatch.delitem(sys.modules, mod)
    monkeypatch.setattr(builtins, "__import__", fake)


def test_onnx_yamnet_and_cascade_run_without_litert(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    _no_litert(monkeypatch)
    with pytest.raises(CribwatchError, match="ai-edge-litert"):
        y.Yamnet(y.WEIGHTS)
    net = y.Yamnet(embedding=True)
    assert net.backend == "onnx"
    sc = _cascade(None, 100.0, net)
    x = read_audio(DEMO)
    det = CryDetector(scorer=sc, filter_config=FilterConfig(threshold=0.5))
    assert [m.to_dict()["type"] for m in det.push(x) + det.close()][:1] == ["alert"]


def _blocks(x: np.ndarray, n: int) -> Iterator[np.ndarray]:
    for i in range(0, len(x), n):
        yield x[i : i + n]


def test_onnx_cascade_streams_like_offline(onnx_net: y.Yamnet) -> None:
    x = read_audio(DEMO)
    cfg = FilterConfig(threshold=0.5)
    off = detect_offline(x, _cascade(None, 100.0, onnx_net), cfg)
    assert off
    det = CryDetector(scorer=_cascade(None, 100.0, onnx_net), filter_config=cfg)
    msgs = []
    for b in _blocks(x, 3331):
        msgs += det.push(b)
    msgs += det.close()
    d = [m.to_dict() for m in msgs]
    assert [m for m in d if m["type"] == "end"] == [{"type": "end", **e.to_dict()} for e in off]
    assert [m["type"] for m in d] == ["alert", "end"] * len(off)


def test_default_detector_runs_without_litert(monkeypatch: pytest.MonkeyPatch) -> None:
    """The default (the ONNX cascade) loads and detects with LiteRT's import failing."""
    from cribwatch.cry.api import DEFAULT_CASCADE

    _no_litert(monkeypatch)
    det = CryDetector()
    assert det.model == DEFAULT_CASCADE and isinstance(det.scorer, CascadeScorer)
    x = read_audio(DEMO)
    msgs = [m.to_dict() for b in _blocks(x, 8000) for m in det.push(b)] + [
        m.to_dict() for m in det.close()
    ]
    assert [m["type"] for m in msgs] == ["alert", "end"]
    assert not any(m.split(".")[0] == "ai_edge_litert" for m in sys.modules)


def test_shipped_onnx_cascade_streams_like_offline_and_its_card() -> None:
    import hashlib

    from cribwatch.cry.api import DEFAULT_CASCADE, load_filter_config

    sc = make_scorer(DEFAULT_CASCADE)
    assert isinstance(sc, CascadeScorer) and sc.verifier.model.backend == "onnx"
    cfg = load_filter_config(None, DEFAULT_CASCADE)
    x = read_audio(DEMO)
    off = detect_offline(x, sc, cfg)
    assert off and 0 < sc.verifier_calls < sc.windows
    det = CryDetector(DEFAULT_CASCADE)
    msgs = [m.to_dict() for b in _blocks(x, 4000) for m in det.push(b)]
    msgs += [m.to_dict() for m in det.close()]
    assert [m for m in msgs if m["type"] == "end"] == [{"type": "end", **e.to_dict()} for e in off]
    card = read_card(DEFAULT_CASCADE.with_suffix(".json"), "cry")
    assert card["default"] is True and card["yamnet"] == "cry_yamnet_emb.onnx"
    lic = " ".join(card["licences"])
    for name in ("YAMNet", "AudioSet", "Donate-a-cry", "scratch"):
        assert name in lic
    for name, digest in card["sha256"].items():
        assert hashlib.sha256((DEFAULT_CASCADE.parent / name).read_bytes()).hexdigest() == digest
