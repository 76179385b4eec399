"""Issue 23, round 2: YAMNet's 1024-d embedding read from the int8 graph, heads on it, fast
bout confirmation, and the negatives group of ``data fetch``."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from cribwatch.cry import yamnet as y
from cribwatch.cry.api import CryDetector, make_scorer
from cribwatch.cry.negatives import family_recording, negative_files
from cribwatch.cry.postprocess import Chain, FilterConfig, WindowInfo, run_chain
from cribwatch.cry.pretrained import HEAD_KINDS, VerifierHead, VerifierScorer
from cribwatch.cry.stream import detect_offline
from cribwatch.data.fetch import index_negatives, negative_family
from cribwatch.errors import CribwatchError


@pytest.fixture(scope="module")
def emb_net() -> y.Yamnet:
    return y.Yamnet(y.WEIGHTS, embedding=True)  # the int8 TFLite graph (LiteRT)


def _sine_patch() -> np.ndarray:
    t = np.arange(y.PATCH_SAMPLES) / y.SR
    return y.log_mel((0.5 * np.sin(2 * np.pi * 440 * t)).astype(np.float32))[None]


def test_embedding_is_the_final_layers_input(emb_net: y.Yamnet) -> None:
    """The pooled tensor, dequantized, through the final layer's int8 weights and bias gives
    the graph's int8 logits to within half their step; the scores are those of the plain
    interpreter bit for bit (logits not clipped by the int8 range)."""
    p = _sine_patch()
    scores, codes = emb_net.embed(p)
    assert np.array_equal(scores, y.Yamnet(y.WEIGHTS)(p))
    assert codes.shape == (1, y.EMBED_DIM) and codes.dtype == np.uint8
    emb = emb_net.dequantize(codes)[0]
    assert emb.min() >= 0 and emb.max() <= 6.0 and (emb > 0).any()
    it = emb_net._it
    det = {d["index"]: d for d in it.get_tensor_details()}
    fc = [d for d in det.values() if d["name"].endswith("fc/MatMul")][0]
    bias = [d for d in det.values() if d["name"].endswith("fc/biases")][0]
    logit = [d for d in det.values() if "fc/BiasAdd" in d["name"]][0]
    w = it.get_tensor(fc["index"]).astype(np.float64) * fc["quantization"][0]
    b = it.get_tensor(bias["index"]).astype(np.float64) * bias["quantization"][0]
    ls, lz = logit["quantization"]
    q = it.get_tensor(logit["index"]).reshape(-1).astype(np.float64)
    inside = (q > -128) & (q < 127)  # int8 logits clip at both ends
    assert inside.sum() > 400
    graph = (q - lz) * ls
    assert np.abs(emb @ w.T + b - graph)[inside].max() <= ls / 2 + 1e-6


def test_plain_interpreter_has_no_embedding() -> None:
    with pytest.raises(CribwatchError, match="embedding=True"):
        y.Yamnet(y.WEIGHTS).embed(_sine_patch())


def _emb_head(kind: str, hidden: int = 4, seed: int = 0) -> VerifierHead:
    rng = np.random.default_rng(seed)
    d = HEAD_KINDS[kind]
    return VerifierHead(
        mean=np.zeros(d),
        std=np.ones(d),
        w1=rng.standard_normal((d, hidden)) * 0.05,
        b1=np.zeros(hidden),
        w2=rng.standard_normal(hidden),
        b2=0.0,
        kind=kind,
    )


@pytest.mark.parametrize("kind", ["embedding", "embedding+scores"])
def test_embedding_verifier_loads_and_scores(tmp_path: Path, kind: str) -> None:
    head = _emb_head(kind)
    path = tmp_path / "v.npz"
    head.save(path)
    back = VerifierHead.load(path)
    assert back.kind == kind and back.needs_embedding
    v = make_scorer(path)
    assert isinstance(v, VerifierScorer) and v.model.has_embedding
    audio = np.random.default_rng(2).standard_normal((2, 16000)).astype(np.float32) * 0.1
    out = v(audio)
    assert out.shape == (2,) and np.all((out > 0) & (out < 1))
    scores, codes = v.model.embed(y.audio_patches(audio))
    assert np.allclose(out, head(scores, y.dequantize_embedding(codes)))
    with pytest.raises(CribwatchError, match="embedding"):
        head(scores)
    # a head whose arrays do not fit its kind is refused, naming the file
    bad = VerifierHead(head.mean[:10], head.std[:10], head.w1[:10], head.b1, head.w2, 0.0, kind)
    bad.save(tmp_path / "bad.npz")
    with pytest.raises(CribwatchError, match="bad.npz"):
        VerifierHead.load(tmp_path / "bad.npz")


def _infos(scores: list[float]) -> list[WindowInfo]:
    return [WindowInfo(s, -20.0, 1.0, np.ones(25, bool)) for s in scores]


def test_confirm_score_alerts_at_the_first_confident_window() -> None:
    scores = [0.0] * 4 + [0.999, 0.6, 0.6, 0.6, 0.6] + [0.0] * 6
    slow = FilterConfig(threshold=0.5, enabled=("smoothing",))
    fast = FilterConfig(threshold=0.5, enabled=("smoothing",), confirm_score=0.99)
    (a,) = run_chain(_infos(scores), slow)
    (b,) = run_chain(_infos(scores), fast)
    assert b.emitted == 4 * 0.5 + 1.0 < a.emitted  # known at the end of the confident window
    assert (b.onset, b.offset) == (a.onset, a.offset)
    # below confirm_score nothing changes; a lone confident window is still reported
    assert run_chain(_infos([0.0, 0.98, 0.98, 0.98, 0.0, 0.0]), fast) == run_chain(
        _infos([0.0, 0.98, 0.98, 0.98, 0.0, 0.0]), slow
    )
    assert not run_chain(_infos([0.0, 0.999, 0.0, 0.0, 0.0]), slow)
    assert len(run_chain(_infos([0.0, 0.999, 0.0, 0.0, 0.0]), fast)) == 1
    ch = Chain(fast)
    for w in _infos([0.0, 0.999]):
        ch.push(w)
    assert ch.in_bout and ch.bout_fast
    with pytest.raises(CribwatchError, match="confirm_score"):
        FilterConfig(confirm_score=1.5)


class _Steps:
    """A scorer of log-mel windows: 0.999 on windows 6-9, 0.7 on 10-20, else 0."""

    def __init__(self) -> None:
        self.k = 0

    def __call__(self, x: np.ndarray) -> np.ndarray:
        ks = np.arange(self.k, self.k + len(x))
        self.k += len(x)
        return np.where((ks >= 6) & (ks < 10), 0.999, np.where((ks >= 10) & (ks < 21), 0.7, 0.0))


def test_fast_alert_streams_like_offline() -> None:
    x = np.zeros(16000 * 14, dtype=np.float32)
    cfg = FilterConfig(threshold=0.5, enabled=("smoothing",), confirm_score=0.99)
    off = detect_offline(x, _Steps(), cfg)
    det = CryDetector(scorer=_Steps(), filter_config=cfg)
    msgs = []
    for i in range(0, len(x), 2999):
        msgs += det.push(x[i : i + 2999])
    msgs += det.close()
    d = [m.to_dict() for m in msgs]
    assert [m["type"] for m in d] == ["alert", "end"]
    assert d[0]["emitted"] == 6 * 0.5 + 1.0 == off[0].emitted
    assert d[1] == {"type": "end", **off[0].to_dict()}


def test_negative_families_and_index(tmp_path: Path) -> None:
    assert negative_family("oxygen-sounds", Path("a/b.ogg")) == "alerts"
    assert negative_family("pingus-data", Path("music/x.it")) == "music"
    assert negative_family("lincity-ng-data", Path("sounds/Farm1.wav")) == "ambience"
    assert negative_family("frozen-bubble-data", Path("snd/frozen-mainzik-1p.ogg")) == "music"
    assert negative_family("frozen-bubble-data", Path("snd/lose.ogg")) == "game-effects"
    assert negative_family("kgoldrunner", Path("x/readme.txt")) is None
    snd = Path("usr/share/scratch/Media/Sounds")
    assert negative_family("scratch", snd / "Animal" / "Rooster.wav") == "animals"
    assert negative_family("scratch", snd / "Effects" / "DoorClose.mp3") == "household"
    assert negative_family("scratch", snd / "Human" / "Cough-male.wav") == "household"
    assert negative_family("scratch", snd / "Human" / "BabyCry.mp3") is None  # a cry: never
    assert negative_family("scratch", snd / "Instruments" / "Chord.wav") is None
    assert negative_family("scratch", Path("usr/share/scratch/Help/en/x.gif")) is None
    import soundfile as sf

    pkg = tmp_path / "debian" / "oxygen-sounds"
    (pkg / "usr" / "share" / "sounds").mkdir(parents=True)
    (pkg / ".complete").write_text("x\n")
    rng = np.random.default_rng(0)
    for i in range(12):
        tone = 0.3 * np.sin(2 * np.pi * (300 + 50 * i) * np.arange(8000) / 16000)
        sf.write(
            pkg / "usr" / "share" / "sounds" / f"s{i}.wav", tone + 0.01 * rng.random(8000), 16000
        )
    assert index_negatives(tmp_path) == 12
    assert len(list((tmp_path / "negatives" / "alerts").iterdir())) == 12
    parts = [negative_files(tmp_path / "negatives", s)["alerts"] for s in ("fit", "val", "test")]
    assert sum(len(p) for p in parts) == 12
    assert not set(parts[0]) & set(parts[1]) and not set(parts[1]) & set(parts[2])
    audio, spans = family_recording(parts[0], seed=1)
    assert len(spans) == len(parts[0]) and audio.shape[0] >= spans[-1][1] * 16000 - 1
    with pytest.raises(CribwatchError, match="data fetch"):
        negative_files(tmp_path / "nowhere", "fit")


def test_shipped_embedding_cascade_needs_both_stages_and_streams_like_offline() -> None:
    from cribwatch.cry.api import WEIGHTS_DIR, load_filter_config
    from cribwatch.cry.audio import read_audio
    from cribwatch.cry.pretrained import CascadeScorer

    model = WEIGHTS_DIR / "cry_verifier_emb.npz"
    sc = make_scorer(model)
    assert isinstance(sc, CascadeScorer) and sc.gate == 0.95
    assert sc.verifier.head.kind == "embedding" and sc.verifier.model.has_embedding
    cfg = load_filter_config(None, model)
    assert cfg.threshold == 0.7 and cfg.confirm_score == 0.0
    demo = Path(__file__).resolve().parents[2] / "cribwatch/demo/samples/cry/demo.flac"
    x = read_audio(demo)
    off = detect_offline(x, sc, cfg)
    assert off, "the demo sample's cry is found by the embedding cascade"
    assert 0 < sc.verifier_calls < sc.windows  # the verifier ran only where the CNN flagged
    det = CryDetector(model)
    msgs = []
    for i in range(0, len(x), 4000):
        msgs += det.push(x[i : i + 4000])
    msgs += det.close()
    d = [m.to_dict() for m in msgs]
    assert [m for m in d if m["type"] == "end"] == [{"type": "end", **e.to_dict()} for e in off]
    assert [m["type"] for m in d] == ["alert", "end"] * len(off)


def test_shipped_round3_cascade_card_names_its_point_and_every_negative_licence() -> None:
    from cribwatch.cards import read_card
    from cribwatch.cry.api import WEIGHTS_DIR, load_filter_config
    from cribwatch.cry.pretrained import CascadeScorer

    model = WEIGHTS_DIR / "cry_verifier_emb3.npz"
    sc = make_scorer(model)
    assert isinstance(sc, CascadeScorer) and sc.gate == 0.98
    assert sc.verifier.head.kind == "embedding"
    assert load_filter_config(None, model).threshold == 0.6
    card = read_card(model.with_suffix(".json"), "cry")
    assert card["default"] is False
    lic = " ".join(card["licences"])
    for pkg in ("scratch", "oxygen-sounds", "lincity-ng-data", "YAMNet", "AudioSet"):
        assert pkg in lic
