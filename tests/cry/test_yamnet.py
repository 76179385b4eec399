"""YAMNet inside the project (issue 23): the numpy front end against reference values of
YAMNet's published definition, the int8 model through LiteRT, the verifier head and the
two-stage cascade (an alert needs both stages).

Reference values and where they come from:

- Silence: every log-mel cell is ``log(0 + 0.001) = -6.907755278982137`` (YAMNet's
  ``log_offset`` 0.001, ``params.py``).
- Mel weights of ``tf.signal.linear_to_mel_weight_matrix(64, 257, 16000, 125, 7500)`` derived
  by hand from its documented formula (mel = 1127 ln(1 + f/700), 66 equally spaced edges,
  triangles evaluated at the bin frequencies 31.25 k Hz, DC row zero): edges 185.170 (125 Hz)
  and 2773.33 mel (7500 Hz), spacing 39.8178 mel; bin 5 (156.25 Hz) lies at 227.072 mel, so
  band 0 has ``(264.806 - 227.072) / 39.8178 = 0.94769`` and band 1
  ``(227.072 - 185.170) / 39.8178 - 1 = 0.05231``; bins 0-4 lie below 185.17 mel (zero).
- The periodic Hann window of 400 samples sums to 200 (``tf.signal.hann_window`` periodic).
- YAMNet's own tests (tensorflow/models ``research/audioset/yamnet/yamnet_test.py``): 3 s of
  zeros is classified "Silence" (index 494), a 440 Hz full-scale sine "Sine wave" (495).
- coralmicro's test pair (``models/yamnet_test_audio.bin`` / ``yamnet_test_spectra.bin``,
  Apache-2.0, copies in ``tests/cry/data``): their spectra come from Coral's fixed-point
  front end, not YAMNet's definition; they sit 1.41 above ours with a spread of 0.016
  (correlation 0.99997), and the model calls both "Speech" (index 0).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from cribwatch.cry import yamnet as y
from cribwatch.cry.api import CryDetector, make_scorer
from cribwatch.cry.postprocess import FilterConfig
from cribwatch.cry.pretrained import (
    CascadeScorer,
    VerifierHead,
    VerifierScorer,
    cascade_scores,
)
from cribwatch.cry.stream import analyse
from cribwatch.errors import CribwatchError

DATA = Path(__file__).parent / "data"


@pytest.fixture(scope="module")
def net() -> y.Yamnet:
    return y.Yamnet(y.WEIGHTS)  # the int8 TFLite graph (LiteRT)


def test_silence_is_log_offset() -> None:
    lm = y.log_mel(np.zeros(y.PATCH_SAMPLES))
    assert lm.shape == (96, 64)
    assert np.allclose(lm, np.log(0.001), atol=1e-6)
    assert abs(float(np.log(0.001)) - -6.907755278982137) < 1e-12


def test_mel_weights_hand_derived() -> None:
    w = y.mel_matrix()
    assert w.shape == (257, 64)
    assert not w[:5].any()  # DC row zeroed; bins 1-4 below 125 Hz
    assert abs(w[5, 0] - 0.94769) < 1e-4
    assert abs(w[5, 1] - 0.05231) < 1e-4
    assert abs(y.hertz_to_mel(125.0) - 185.170) < 1e-3
    assert abs(y.hertz_to_mel(7500.0) - 2773.33) < 1e-2
    assert w.max() <= 1.0 and np.all(w >= 0)
    assert not w[241:].any()  # above 7500 Hz (bin 240 = 7500 Hz)
    assert abs(y.hann().sum() - 200.0) < 1e-9


def test_framing_and_patches() -> None:
    x = np.random.default_rng(0).standard_normal(16000 * 3).astype(np.float32) * 0.1
    lm = y.log_mel(x)
    assert lm.shape == (1 + (48000 - 400) // 160, 64)
    p = y.window_patches(x, 8000)
    assert p.shape == (5, 96, 64)  # windows at 0, 0.5, ..., 2.0 s (each needs 15,600 samples)
    assert np.array_equal(p[2], lm[100:196])
    # a window's patch from its own audio equals the patch cut from the whole signal
    assert np.allclose(y.audio_patches(x[None, 8000:24000])[0], p[1], atol=1e-5)


def test_coralmicro_pair(net: y.Yamnet) -> None:
    audio = np.fromfile(DATA / "coralmicro_yamnet_test_audio.bin", dtype="<i2")
    spectra = np.fromfile(DATA / "coralmicro_yamnet_test_spectra.bin", dtype="<f4")
    spectra = spectra.reshape(96, 64)
    ours = y.log_mel(audio / 32768.0)
    assert ours.shape == (96, 64)
    d = spectra - ours
    assert 1.38 < d.mean() < 1.44 and d.std() < 0.03
    assert np.corrcoef(spectra.ravel(), ours.ravel())[0, 1] > 0.9999
    assert int(np.argmax(net(ours))) == 0  # Speech
    assert int(np.argmax(net(spectra))) == 0


def test_published_yamnet_clips(net: y.Yamnet) -> None:
    t = np.arange(0, 3, 1 / 16000)
    for wave, want in ((np.zeros_like(t), 494), (np.sin(2 * np.pi * 440 * t), 495)):
        s = net(y.window_patches(wave, 7680)).mean(axis=0)  # 0.48 s patch hop, as YAMNet
        assert s.shape == (521,)
        assert int(np.argmax(s)) == want
    # the int8 graph's output is requantised in steps of 1/256
    one = net(y.window_patches(wave, 7680)[:1])[0]
    assert np.allclose(one * 256, np.rint(one * 256), atol=1e-4)


def test_model_errors(tmp_path: Path) -> None:
    with pytest.raises(CribwatchError, match="not found"):
        y.Yamnet(tmp_path / "nope.tflite")
    bad = tmp_path / "bad.tflite"
    bad.write_bytes(b"not a model")
    with pytest.raises(CribwatchError, match="bad.tflite"):
        y.Yamnet(bad)


def _head(hidden: int = 4, seed: int = 0, bias: float = 0.0) -> VerifierHead:
    rng = np.random.default_rng(seed)
    return VerifierHead(
        mean=np.zeros(521),
        std=np.ones(521),
        w1=rng.standard_normal((521, hidden)) * 0.01,
        b1=np.zeros(hidden),
        w2=rng.standard_normal(hidden),
        b2=bias,
    )


def test_verifier_loads_and_scores(tmp_path: Path, net: y.Yamnet) -> None:
    head = _head()
    path = tmp_path / "v.npz"
    head.save(path)
    back = VerifierHead.load(path)
    scores = np.random.default_rng(1).integers(0, 256, (3, 521)) / 256
    assert np.allclose(back(scores), head(scores))
    assert back.params == 521 * 4 + 4 + 4 + 1
    v = make_scorer(path)
    audio = np.random.default_rng(2).standard_normal((2, 16000)).astype(np.float32) * 0.1
    out = v(audio)  # type: ignore[call-arg]
    assert out.shape == (2,) and np.all((out > 0) & (out < 1))
    assert np.allclose(out, VerifierScorer(head, net)(audio))
    (tmp_path / "w.npz").write_bytes(b"junk")
    with pytest.raises(CribwatchError, match="w.npz"):
        make_scorer(tmp_path / "w.npz")


class _Fixed:
    """A first stage whose window scores are given."""

    def __init__(self, scores: list[float]) -> None:
        self.scores = np.asarray(scores)
        self.i = 0

    def __call__(self, x: np.ndarray) -> np.ndarray:
        out = self.scores[self.i : self.i + len(x)]
        self.i += len(x)
        return out


class _ConstVerifier(VerifierScorer):
    def __init__(self, value: float) -> None:
        self.value = value
        self.calls = 0

    def __call__(self, x: np.ndarray) -> np.ndarray:
        self.calls += len(x)
        return np.full(len(x), self.value)


def test_cascade_alert_needs_both_stages() -> None:
    x = np.zeros(16000 * 8, dtype=np.float32)  # 15 windows at 0.5 s
    n = 15
    cfg = FilterConfig(threshold=0.5, enabled=())
    for first, verify, alerts in ((0.99, 0.99, 1), (0.99, 0.01, 0), (0.01, 0.99, 0)):
        ver = _ConstVerifier(verify)
        sc = CascadeScorer(_Fixed([first] * n), ver, gate=0.9)
        det = CryDetector(scorer=sc, filter_config=cfg)
        msgs = det.push(x) + det.close()
        assert sum(m.to_dict()["type"] == "alert" for m in msgs) == alerts
        # the verifier ran only on windows the first stage flagged
        assert ver.calls == (n if first >= 0.9 else 0)
        assert sc.windows == n and sc.verifier_calls == ver.calls
    assert np.array_equal(cascade_scores([0.95, 0.5], [0.2, 0.9], 0.9), [0.2, 0.0])


def test_stream_equals_offline_with_audio_scorer(net: y.Yamnet) -> None:
    rng = np.random.default_rng(3)
    x = (0.05 * rng.standard_normal(16000 * 6)).astype(np.float32)
    x[30000:60000] += 0.3 * np.sin(2 * np.pi * 450 * np.arange(30000) / 16000)
    sc = make_scorer(y.WEIGHTS)
    cfg = FilterConfig(threshold=0.01, enabled=())
    off = [w.score for w in analyse(x, sc, cfg).infos]
    seen: list[float] = []

    class Spy:
        inputs = "audio"

        def __call__(self, a: np.ndarray) -> np.ndarray:
            out = sc(a)  # type: ignore[call-arg]
            seen.extend(out.tolist())
            return out

    det = CryDetector(scorer=Spy(), filter_config=cfg)
    for i in range(0, len(x), 3331):
        det.push(x[i : i + 3331])
    det.close()
    assert len(seen) == len(off) == 11
    assert np.allclose(seen, off)


def test_shipped_cascade_loads_scores_and_streams_like_offline() -> None:
    from cribwatch.cry.api import WEIGHTS_DIR, load_filter_config
    from cribwatch.cry.audio import read_audio
    from cribwatch.cry.stream import detect_offline

    model = WEIGHTS_DIR / "cry_verifier.npz"
    sc = make_scorer(model)
    assert isinstance(sc, CascadeScorer) and sc.gate == 0.95
    cfg = load_filter_config(None, model)
    assert cfg.threshold == 0.4
    demo = Path(__file__).resolve().parents[2] / "cribwatch/demo/samples/cry/demo.flac"
    x = read_audio(demo)
    off = detect_offline(x, sc, cfg)
    assert off, "the demo sample's cry is found by the cascade"
    # the verifier ran only on the windows the first stage flagged
    assert 0 < sc.verifier_calls < sc.windows
    det = CryDetector(model)
    msgs = []
    for i in range(0, len(x), 4000):
        msgs += det.push(x[i : i + 4000])
    msgs += det.close()
    ends = [m.to_dict() for m in msgs if m.to_dict()["type"] == "end"]
    assert ends == [{"type": "end", **e.to_dict()} for e in off]
    # every end follows its alert, which came when the bout was confirmed
    kinds = [m.to_dict()["type"] for m in msgs]
    assert kinds == ["alert", "end"] * len(off)
