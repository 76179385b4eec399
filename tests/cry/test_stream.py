"""Streaming equals offline; constant memory on a long stream; the error paths."""

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
import torch

from cribwatch.cry.audio import SR, to_pcm16
from cribwatch.cry.postprocess import FilterConfig
from cribwatch.cry.stream import StreamDetector, TorchScorer, analyse, detect_offline, wav_blocks
from cribwatch.cry.synth import colored_noise, synth_cry
from cribwatch.errors import CribwatchError


def _signal(seconds=24, seed=0):
    rng = np.random.default_rng(seed)
    x = 0.02 * colored_noise(rng, seconds * SR, "pink")
    for t0 in (3, 13):
        if t0 + 2 > seconds:
            break
        c, _ = synth_cry(rng)
        c = c[: min(10, seconds - t0) * SR]
        x[t0 * SR : t0 * SR + c.shape[0]] += 0.4 * c
    return x.astype(np.float32)


@pytest.mark.parametrize(
    ("block", "hop_s"), [(160, 0.5), (999, 0.5), (8000, 0.5), (16000 * 7, 0.5), (999, 0.2)]
)
def test_streaming_equals_offline(tiny_int, block, hop_s):
    """With the integer model (exact arithmetic) stream and whole file give the same events,
    at the default hop and at a smaller one."""
    from cribwatch.cry.intref import IntScorer

    x = _signal()
    sc = IntScorer(tiny_int)
    an = analyse(x, sc, FilterConfig(hop_s=hop_s))
    assert len(an.infos) == (x.shape[0] - SR) // int(hop_s * SR) + 1
    # a threshold at the median score makes the random model fire now and then
    thr = float(np.median([w.score for w in an.infos]))
    cfg = FilterConfig(threshold=thr, enabled=("loudness", "pitch", "smoothing"), hop_s=hop_s)
    cfg = FilterConfig.from_dict({**cfg.to_dict(), "voiced_share_min": 0.0})
    off = detect_offline(x, sc, cfg)
    assert off, "the crafted threshold should give events"
    det = StreamDetector(sc, cfg)
    got = []
    for s in range(0, x.shape[0], block):
        got += det.push(x[s : s + block])
    got += det.flush()
    assert [e.to_dict() for e in got] == [e.to_dict() for e in off]


def test_hop_must_be_a_tenth_of_a_second_up_to_half_a_window():
    assert FilterConfig(hop_s=0.2).hop_samples == 3200
    assert FilterConfig(hop_s=0.2).pitch_frames_per_hop == 10
    for bad in (0.25, 0.0, 0.6, 1.0):
        with pytest.raises(CribwatchError, match="hop_s"):
            FilterConfig(hop_s=bad)
    with pytest.raises(CribwatchError, match="hop_s"):
        FilterConfig.from_dict({"hop_s": 0.05})


def test_smaller_hop_alerts_no_later(tiny_int):
    """The same windows every 0.2 s instead of 0.5 s: each window of the 0.5 s grid is also on
    the 0.2 s grid every second, so with one positive window starting a bout the first alert
    is never later."""
    from cribwatch.cry.intref import IntScorer

    x = _signal()
    sc = IntScorer(tiny_int)
    thr = float(np.median([w.score for w in analyse(x, sc).infos]))
    base = FilterConfig(threshold=thr, enabled=("smoothing",), k_on=1, n_on=1, min_bout_s=1.0)
    e5 = detect_offline(x, sc, base)
    e2 = detect_offline(x, sc, FilterConfig.from_dict({**base.to_dict(), "hop_s": 0.2}))
    assert e5 and e2 and e2[0].emitted <= e5[0].emitted


def test_streaming_scores_match_offline_float(tiny_model):
    x = _signal(12)
    sc = TorchScorer(tiny_model)
    off = [w.score for w in analyse(x, sc).infos]
    seen = []
    det = StreamDetector(sc, FilterConfig(), on_alert=None)
    orig = det.chain.push

    def spy(w):
        seen.append(w.score)
        return orig(w)

    det.chain.push = spy  # type: ignore[method-assign]
    for s in range(0, x.shape[0], 3000):
        det.push(x[s : s + 3000])
    assert len(seen) == len(off) and np.max(np.abs(np.array(seen) - off)) < 1e-5


def test_stream_state_stays_small(tiny_int):
    from cribwatch.cry.intref import IntScorer

    det = StreamDetector(IntScorer(tiny_int), FilterConfig())
    x = _signal(30)
    for s in range(0, x.shape[0], 8000):
        det.push(x[s : s + 8000])
        assert det.pending.shape[0] <= 2 * SR
        assert det.frames.shape[0] <= 200
        assert det.voiced.shape[0] <= 100


def _export_tiny(tiny_model, path: Path) -> None:
    from cribwatch.deploy.export import export_onnx

    export_onnx(
        tiny_model,
        (torch.zeros(1, 1, 98, 64),),
        path,
        input_names=["input"],
        output_names=["logit"],
    )


def _pcm(path: Path, seconds: float) -> None:
    from cribwatch.cry.bench import write_pcm

    write_pcm(path, seconds, chunk_s=60.0)


def _rss(model: Path, pcm: Path) -> float:
    from cribwatch.deploy.bench import child_peak_rss_mb

    rss, rc, _ = child_peak_rss_mb(
        [sys.executable, "-m", "cribwatch.cry.lean", str(model)], str(pcm)
    )
    assert rc == 0
    return rss


def test_constant_memory_on_a_long_stream(tiny_model, tmp_path):
    """Peak RSS of the torch-free detector: 3 minutes of audio use no more than 10 s do."""
    from cribwatch.deploy.bench import peak_rss_mb

    model = tmp_path / "m.onnx"
    _export_tiny(tiny_model, model)
    short, long = tmp_path / "short.pcm", tmp_path / "long.pcm"
    _pcm(short, 10)
    _pcm(long, 180)
    r_short, r_long = _rss(model, short), _rss(model, long)
    assert r_long - r_short < 8.0, (r_short, r_long)
    # the child's own peak, not this (torch-laden) test process's
    assert r_short < 0.5 * peak_rss_mb(), (r_short, peak_rss_mb())


def _cli(args, stdin=None):
    code = "from cribwatch.cli import main; main()"
    return subprocess.run(
        [sys.executable, "-c", code, *args], input=stdin, capture_output=True, timeout=120
    )


def test_detect_error_paths(tmp_path, tiny_model):
    """Corrupt, empty, wrong-rate and truncated audio: one clear error (exit 2 from the CLI)."""
    from cribwatch.cry.stream import pcm_blocks

    empty = tmp_path / "empty.wav"
    empty.write_bytes(b"")
    corrupt = tmp_path / "corrupt.wav"
    corrupt.write_bytes(b"RIFF\x00\x00\x00\x00WAVEjunk" + bytes(range(200)))
    rate = tmp_path / "rate.wav"
    sf.write(rate, np.zeros(8000, np.int16), 8000, subtype="PCM_16")
    nosamples = tmp_path / "nosamples.wav"
    sf.write(nosamples, np.zeros(0, np.int16), SR, subtype="PCM_16")
    stereo_float = tmp_path / "ok.wav"
    sf.write(stereo_float, np.zeros((SR, 2), np.float32), SR, subtype="FLOAT")
    for f in (empty, corrupt, rate, nosamples, tmp_path / "missing.wav"):
        with pytest.raises(CribwatchError) as e:
            list(wav_blocks(f))
        assert "\n" not in str(e.value) and str(f.name) in str(e.value)
    assert sum(b.shape[0] for b in wav_blocks(stereo_float)) == SR
    import io

    with pytest.raises(CribwatchError):
        list(pcm_blocks(io.BytesIO(b"\x01\x02\x03")))
    # the CLI turns them into one 'error:' line and exit code 2, before loading any model
    weights = tmp_path / "w.pt"
    from cribwatch.cry.train import save_checkpoint

    save_checkpoint(weights, tiny_model, {})
    r = _cli(["cry", "detect", str(corrupt), "--model", str(weights)])
    assert r.returncode == 2, r.stderr
    lines = r.stderr.decode().strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), lines
    # a detector config with an impossible hop: one line naming the config file
    bad = tmp_path / "bad-config.json"
    bad.write_text('{"detector": {"threshold": 0.9, "hop_s": 0.25}}')
    r = _cli(["cry", "detect", str(stereo_float), "--model", str(weights), "--config", str(bad)])
    lines = r.stderr.decode().strip().splitlines()
    assert r.returncode == 2 and len(lines) == 1, lines
    assert "bad-config.json" in lines[0] and "hop_s" in lines[0]


def test_wav_blocks_reads_incrementally(tmp_path):
    f = tmp_path / "a.wav"
    x = (0.1 * np.sin(np.arange(3 * SR))).astype(np.float32)
    sf.write(f, to_pcm16(x), SR, subtype="PCM_16")
    blocks = list(wav_blocks(f, 1000))
    assert len(blocks) == 48 and np.allclose(np.concatenate(blocks), x, atol=1e-4)
    with pytest.raises(CribwatchError):
        list(wav_blocks(tmp_path / "nope.wav"))


def test_train_refuses_architectures_over_the_board_budget(tmp_path):
    """--stem/--channels/--strides: over 2 M MACs or malformed gives one error line, exit 2."""
    for extra, word in (
        (["--stem", "24", "--channels", "48,64,96,128"], "budget"),
        (["--channels", "32,48"], "--channels"),
        (["--strides", "2,2,x,2"], "--channels/--strides"),
    ):
        r = _cli(["cry", "train", "--data", str(tmp_path), "--out", str(tmp_path / "w.pt"), *extra])
        lines = [ln for ln in r.stderr.decode().splitlines() if ln.strip()]
        assert r.returncode == 2 and len(lines) == 1 and word in lines[0], r.stderr
        assert not (tmp_path / "w.pt").exists()
