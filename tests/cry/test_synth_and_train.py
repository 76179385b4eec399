"""Synthesizer, channel, set reading and a short training run (no data/ needed)."""

from pathlib import Path

import numpy as np
import pytest

from cribwatch.cry.audio import SR, write_wav
from cribwatch.cry.channel import ChannelConfig, apply_channel, g711
from cribwatch.cry.levels import trim_silence
from cribwatch.cry.postprocess import pitch_frames
from cribwatch.cry.synth import OUT_OF_RANGE, colored_noise, synth_baby_noncry, synth_cry


def test_synth_is_seeded_and_in_range():
    a, pa = synth_cry(np.random.default_rng(5))
    b, pb = synth_cry(np.random.default_rng(5))
    assert np.array_equal(a, b) and pa == pb
    assert 350 <= pa["f0_hz"] <= 650 and np.max(np.abs(a)) <= 1.0
    f0, h = pitch_frames(a)
    voiced = f0[h > 0.6]
    assert voiced.size > 20 and 300 <= np.median(voiced) <= 2200
    _, po = synth_cry(np.random.default_rng(5), OUT_OF_RANGE)
    assert not (350 <= po["f0_hz"] <= 650)


def test_baby_noncry_kinds_are_short_segments():
    for kind in ("coo", "babble", "laugh", "fuss"):
        x, k = synth_baby_noncry(np.random.default_rng(1), kind)
        assert k == kind and x.shape[0] > SR // 10 and np.all(np.isfinite(x))


def test_channel_band_limits_and_companding():
    rng = np.random.default_rng(0)
    x = 0.1 * colored_noise(rng, 4 * SR, "white")
    cfg = ChannelConfig(narrowband_p=1.0, codec_p=1.0, agc_p=0.0, clip_p=0.0, dc=(0.0, 0.0))
    y, info = apply_channel(x, np.random.default_rng(1), cfg)
    assert info["band"] == "8k" and info["codec"] in ("mu", "a")
    spec = np.abs(np.fft.rfft(y)) ** 2
    f = np.fft.rfftfreq(y.shape[0], 1 / SR)
    assert spec[f > 4500].sum() < 0.01 * spec[f < 3000].sum()
    for law in ("mu", "a"):
        z = g711(np.linspace(-1, 1, 1001), law)
        assert np.max(np.abs(z - np.linspace(-1, 1, 1001))) < 0.05


def test_trim_silence_keeps_inner_pauses():
    x = np.zeros(5 * SR, np.float32)
    x[SR : 2 * SR] = 0.3
    x[3 * SR : 4 * SR] = 0.3
    a, b = trim_silence(x)
    assert abs(a / SR - 1.0) < 0.03 and abs(b / SR - 4.0) < 0.03


def make_tiny_set(root: Path, n_files: int = 6, seconds: float = 8.0) -> None:
    rng = np.random.default_rng(0)
    (root / "audio").mkdir(parents=True)
    labels = ["file\tonset\toffset\tlabel"]
    noise = ["file\tonset\toffset\tnoise_type"]
    for i in range(n_files):
        x = 0.01 * colored_noise(rng, int(seconds * SR), "pink")
        name = f"f{i}.wav"
        if i % 2 == 0:
            c, _ = synth_cry(rng)
            c = c[: int(4 * SR)] * 0.3
            x[2 * SR : 2 * SR + c.shape[0]] += c
            labels.append(f"{name}\t2.0\t{2 + c.shape[0] / SR:.3f}\tcry")
        noise.append(f"{name}\t0\t{seconds}\tnoise")
        write_wav(root / "audio" / name, x)
    (root / "labels.tsv").write_text("\n".join(labels) + "\n")
    (root / "noise_types.tsv").write_text("\n".join(noise) + "\n")
    (root / "manifest.json").write_text('{"format": "cribwatch-cry", "version": 1}')


def test_short_training_run(tmp_path):
    from cribwatch.cry.model import count_macs, count_params, load_model
    from cribwatch.cry.train import TrainConfig, train

    make_tiny_set(tmp_path / "set")
    out = tmp_path / "w.pt"
    meta = train(
        tmp_path / "set", out, TrainConfig(minutes=0.15, val_every_s=3, batch=32), log=False
    )
    assert out.is_file() and meta["steps"] > 0 and np.isfinite(meta["val_loss"])
    model, m2 = load_model(str(out))
    assert m2["steps"] >= 1
    assert count_params(model) <= 50_000
    assert count_macs(model, (1, 1, 98, 64)) <= 2_000_000


def test_load_set_rejects_bad_sets(tmp_path):
    from cribwatch.cry.dataset import load_set
    from cribwatch.errors import CribwatchError

    with pytest.raises(CribwatchError):
        load_set(tmp_path)
    make_tiny_set(tmp_path / "s", n_files=2)
    (tmp_path / "s" / "labels.tsv").write_text("a\tb\n")
    with pytest.raises(CribwatchError):
        load_set(tmp_path / "s")


def test_step_defined_training_is_reproducible_and_pools_sets(tmp_path):
    import torch

    from cribwatch.cry.train import TrainConfig, train

    make_tiny_set(tmp_path / "a", n_files=4)
    make_tiny_set(tmp_path / "b", n_files=4)
    cfg = TrainConfig(minutes=5, steps=6, val_every_steps=3, batch=16)
    sets = [tmp_path / "a", tmp_path / "b"]
    m1 = train(sets, tmp_path / "w1.pt", cfg, log=False)
    m2 = train(sets, tmp_path / "w2.pt", cfg, log=False)
    assert m1["steps"] == m2["steps"] and m1["steps"] in (3, 6)  # best of the two validations
    assert m1["data"] == [str(p) for p in sets]
    s1 = torch.load(tmp_path / "w1.pt", weights_only=True)["state_dict"]
    s2 = torch.load(tmp_path / "w2.pt", weights_only=True)["state_dict"]
    assert all(torch.equal(s1[k], s2[k]) for k in s1)


def test_strong_augmentation_mixes_only_cry_free_partners_and_shifts_bands():
    from dataclasses import replace

    from cribwatch.cry.train import TrainConfig, augment, strong_augment

    rng = np.random.default_rng(0)
    x = np.zeros((8, 98, 64), np.uint8)
    x[:4, :, 10:20] = 200  # "cries"
    x[4:, :, 40:50] = 120  # cry-free windows
    y = np.array([1, 1, 1, 1, 0, 0, 0, 0], np.float32)
    only_mix = replace(TrainConfig(level_shift=0, freq_mask=1), mix_p=1.0)
    out = augment(x, rng, only_mix, y)
    assert out.shape == x.shape and out.dtype == np.float32
    # partners are cry-free: cry windows gain their sound, cry-free windows never gain a cry
    assert (out[:4, :, 40:50] > 0).all(axis=(1, 2)).any()
    assert np.all(out[4:, :, 10:20] == 0)
    assert np.all(out[:4, :, 10:20].mean(axis=(1, 2)) > 150)
    shifted = augment(x, np.random.default_rng(1), replace(strong_augment(TrainConfig()), mix_p=0))
    assert shifted.shape == x.shape and shifted.max() <= 255


def test_keep_last_keeps_the_final_step(tmp_path):
    from cribwatch.cry.train import TrainConfig, train
    from cribwatch.errors import CribwatchError

    make_tiny_set(tmp_path / "a", n_files=4)
    cfg = TrainConfig(minutes=5, steps=4, val_every_steps=2, batch=16, keep="last")
    assert train(tmp_path / "a", tmp_path / "w.pt", cfg, log=False)["steps"] == 4
    with pytest.raises(CribwatchError):
        train(tmp_path / "a", tmp_path / "w.pt", TrainConfig(keep="worst"), log=False)


def test_step_defined_qat_is_reproducible(tmp_path, tiny_model):
    """--qat-steps defines the QAT run on pooled sets: the same command gives the same integer
    model, and the fine-tuning moves it away from the PTQ model."""
    from cribwatch.cry.quantize import quantize_model

    make_tiny_set(tmp_path / "a", n_files=3)
    make_tiny_set(tmp_path / "b", n_files=3)
    sets = [tmp_path / "a", tmp_path / "b"]
    kw = dict(n_calib=64, qat_steps=3, qat_minutes=0.0, qat_data=sets, lr=1e-2)
    q1 = quantize_model(tiny_model, sets[0], 4, "qat", **kw)
    q2 = quantize_model(tiny_model, sets[0], 4, "qat", **kw)
    ptq = quantize_model(tiny_model, sets[0], 4, "ptq", n_calib=64)
    assert all(np.array_equal(a.wq, b.wq) for a, b in zip(q1.layers, q2.layers, strict=True))
    assert any(not np.array_equal(a.wq, b.wq) for a, b in zip(q1.layers, ptq.layers, strict=True))


def test_event_timing_search_keeps_sensitivity_and_does_not_lower_f1(tmp_path):
    """The tuner's event-timing step returns a setting of its grid (or the input) whose
    event F1 is at least the input's, at the same sensitivity and false-alarm bound."""
    from dataclasses import replace

    from cribwatch.cry import eval as ev
    from cribwatch.cry import search
    from cribwatch.cry.postprocess import FilterConfig

    from .conftest import ConstScorer

    make_tiny_set(tmp_path / "s", n_files=3)
    s, an = ev.load_and_analyse(tmp_path / "s", cache=False)
    ev.score_set(an, ConstScorer(0.9))
    cfg = replace(FilterConfig(threshold=0.5), enabled=("smoothing",), onset_shift_s=0.8)
    dur = {f: a.duration for f, a in an.items()}
    base, _ = ev.evaluate(s, ev.detect_set(an, cfg), dur)
    best, point = search.search_event_timing(s, an, cfg, max_far=1e9)
    assert best == cfg or (
        best.onset_shift_s in search.EVENT_TIMING_GRID["onset_shift_s"]
        and best.m_off * best.hop_s in search.EVENT_TIMING_GRID["hangover_s"]
    )
    assert point["event_f1"] >= float(base["event_f1"])  # type: ignore[arg-type]
    assert point["sensitivity"] >= float(base["sensitivity"])  # type: ignore[arg-type]


def test_search_filters_tries_switching_the_voicing_checks_off(tmp_path):
    """--search-filters also tries the start config without the rhythm check and without the
    pitch check; its pick is at least as sensitive at the same false-alarm bound."""
    from cribwatch.cry import eval as ev
    from cribwatch.cry import search
    from cribwatch.cry.postprocess import FILTERS, FilterConfig

    from .conftest import ConstScorer

    assert search.filter_sets(FILTERS) == [
        FILTERS,
        ("loudness", "pitch", "smoothing"),
        ("loudness", "rhythm", "smoothing"),
    ]
    assert search.filter_sets(("loudness", "smoothing")) == [("loudness", "smoothing")]
    make_tiny_set(tmp_path / "s", n_files=3)
    s, an = ev.load_and_analyse(tmp_path / "s", cache=False)
    ev.score_set(an, ConstScorer(0.9))
    grid = np.array([0.5, 0.95])
    start = FilterConfig(threshold=0.5)
    best, point = search.search_filters(s, an, start, grid, max_far=1e9)
    assert best.enabled in search.filter_sets(FILTERS)
    base = ev.sweep(s, an, start, grid)
    assert point["sensitivity"] >= max(p["sensitivity"] for p in base)
    # a setting of a switched-off filter is not searched: it stays at the start value
    if "rhythm" not in best.enabled:
        assert best.min_unit_s == start.min_unit_s


def test_real_cry_variants_change_pitch_and_stay_narrowband():
    from cribwatch.cry.audio import resample
    from cribwatch.cry.mixing import RealAugConfig, augment_real_cry

    from .conftest import harmonic

    x = harmonic(450, 2.0)  # a 16 kHz "recording" limited to 8 kHz content like the real cries
    x = resample(resample(x, 16000, 8000), 8000, 16000).astype(np.float32)
    cfg = RealAugConfig(reverb_p=0.0, highpass_p=0.0, swell_db=0.0, eq_db=(0.0, 0.0))
    seen = set()
    for seed in range(6):
        y = augment_real_cry(x, np.random.default_rng(seed), cfg)
        assert np.isfinite(y).all() and y.dtype == np.float32
        r = x.shape[0] / y.shape[0]  # the resampling factor drawn
        assert cfg.speed[0] - 0.01 <= r <= cfg.speed[1] + 0.01
        seg = y[4000:-4000]
        spec = np.abs(np.fft.rfft(seg * np.hanning(seg.shape[0]))) ** 2
        f = np.fft.rfftfreq(y.shape[0] - 8000, 1 / 16000)
        f0 = f[np.argmax(spec * (f < 800))]
        assert abs(f0 - 450 * r) < 10  # pitch moves with the tempo
        assert spec[f > 4200].sum() < 1e-4 * spec.sum()  # still narrowband
        seen.add(round(r, 3))
    assert len(seen) == 6
    full = augment_real_cry(x, np.random.default_rng(0), RealAugConfig())
    assert np.isfinite(full).all() and not np.allclose(full[: x.shape[0] // 2], 0)


def test_negatives_overlap_no_cry_and_mining_keeps_the_highest_scores():
    """Hard-negative mining: the candidate windows overlap no cry, and the pool is the
    windows the model scores highest (here a model that scores a window by its brightness)."""
    import torch

    from cribwatch.cry.train import Windows, mine_hard

    mats = {f"f{i}": (np.zeros((600, 64), np.uint8), 6.0) for i in range(3)}
    mats["f1"][0][300:400] = 200  # a bright, cry-free stretch: the hard negatives
    mats["f2"][0][100:300] = 250  # brighter, but labelled as a cry
    labels = {"f2": [(1.0, 3.0)]}
    win = Windows(mats, labels, list(mats), 0.01)
    neg = win.negatives(10)
    assert len(neg) > 0
    assert all(win.target(int(i), int(j), 0.5) == 0.0 for i, j in neg.tolist())
    assert not any(i == 2 and 1.0 < j * 0.01 + 1.0 and j * 0.01 < 3.0 for i, j in neg.tolist())

    class Bright(torch.nn.Module):
        def forward(self, x):
            return x.mean(dim=(1, 2, 3))

    hard = mine_hard(Bright(), win, neg, pool=5)
    assert len(hard) == 5
    assert all(i == 1 and 300 - 98 < j < 400 for i, j in hard.tolist())


def test_fine_tune_with_hard_negatives_from_a_checkpoint(tmp_path):
    """--init starts from a checkpoint's weights; --hard-share mixes mined windows in; the
    CLI refuses a share outside [0, 1)."""
    import subprocess
    import sys

    import torch

    from cribwatch.cry.train import TrainConfig, train

    make_tiny_set(tmp_path / "a", n_files=4)
    base = tmp_path / "base.pt"
    train(tmp_path / "a", base, TrainConfig(minutes=5, steps=2, batch=16, keep="last"), log=False)
    cfg = TrainConfig(
        minutes=5,
        steps=3,
        batch=16,
        keep="last",
        lr=1e-4,
        hard_share=0.25,
        hard_pool=8,
        mine_every_steps=2,
    )
    meta = train(tmp_path / "a", tmp_path / "ft.pt", cfg, log=False, init=base)
    assert meta["steps"] == 3 and meta["init"] == str(base)
    a = torch.load(base, weights_only=True)["state_dict"]
    b = torch.load(tmp_path / "ft.pt", weights_only=True)["state_dict"]
    moved = [k for k in a if a[k].dtype.is_floating_point and not torch.equal(a[k], b[k])]
    assert moved  # fine-tuned, not a copy
    # starting from the checkpoint: after 3 small steps the weights stay close to it
    w = "blocks.0.dw.weight" if "blocks.0.dw.weight" in a else moved[0]
    assert float((a[w] - b[w]).abs().max()) < 0.05 * float(a[w].abs().max()) + 1e-3
    args = ["cry", "train", "--data", str(tmp_path / "a"), "--out", str(tmp_path / "x.pt")]
    r = subprocess.run(
        [
            sys.executable,
            "-c",
            "from cribwatch.cli import main; main()",
            *args,
            "--hard-share",
            "1.5",
        ],
        capture_output=True,
        timeout=120,
    )
    lines = r.stderr.decode().strip().splitlines()
    assert r.returncode == 2 and len(lines) == 1 and "--hard-share" in lines[0], lines
    assert not (tmp_path / "x.pt").exists()


def test_real_babies_keeps_a_nested_share_of_app_instances(tmp_path):
    """--real-babies F leaves out the files with real cries of app instances outside the kept
    share; synthesized cries and cry-free files stay; shares nest; 1 keeps everything."""
    from cribwatch.cry.dataset import load_set
    from cribwatch.cry.train import files_of_babies, kept_instance
    from cribwatch.errors import CribwatchError

    uuids = [f"{k:08x}-0000-4000-8000-000000000000" for k in range(200)]
    k25 = {u for u in uuids if kept_instance(u, 0.25)}
    k50 = {u for u in uuids if kept_instance(u, 0.5)}
    assert k25 < k50 and 20 < len(k25) < 80 and 70 < len(k50) < 130
    assert all(kept_instance(u, 1.0) for u in uuids)
    keep_u = sorted(k50)[0]
    drop_u = sorted(set(uuids) - k50)[0]
    make_tiny_set(tmp_path / "s", n_files=6)  # f0, f2, f4 hold a cry
    rows = ["file\tonset\toffset\tsource\tname\tebr_db"]
    rows.append(f"f0.wav\t2.000\t6.000\treal\t{keep_u}-1430-1.0-m-48-hu.wav\t0")
    rows.append(f"f2.wav\t2.000\t6.000\treal\t{drop_u.upper()}-1431-1.0-f-26-ti.wav\t0")
    rows.append("f4.wav\t2.000\t6.000\tsynth\tseed1-4\t0")
    (tmp_path / "s" / "cries.tsv").write_text("\n".join(rows) + "\n")
    make_tiny_set(tmp_path / "plain", n_files=2)  # no cries.tsv: the option would do nothing
    with pytest.raises(CribwatchError, match="--real-babies"):
        files_of_babies([load_set(tmp_path / "plain")], 0.5)
    kept = files_of_babies([load_set(tmp_path / "s")], 0.5)
    assert kept == {"f0.wav", "f1.wav", "f3.wav", "f4.wav", "f5.wav"}
    assert files_of_babies([load_set(tmp_path / "s")], 1.0) is None
    assert files_of_babies([load_set(tmp_path / "s")] * 2, 0.0) == {
        f"{k}/f{i}.wav" for k in (0, 1) for i in (1, 3, 4, 5)
    }


def test_compare_configs_matches_false_alarms_and_pairs_the_same_cries(tmp_path):
    """cry compare: per config the most sensitive threshold under each false-alarm bound, and
    the paired difference to the first config over the same cries."""
    from dataclasses import replace

    from cribwatch.cry import eval as ev
    from cribwatch.cry.postprocess import FilterConfig

    from .conftest import ConstScorer

    make_tiny_set(tmp_path / "s", n_files=4)
    s, an = ev.load_and_analyse(tmp_path / "s", cache=False)
    ev.score_set(an, ConstScorer(0.1))
    for f, fa in an.items():  # 0.99 over each cry; two such windows at 5-6.5 s of a cry-free file
        spans = s.labels.get(f) or [(5.0, 6.5)]
        t0 = 0.5 * np.arange(fa.scores.size)
        for on, off in spans:
            fa.scores[(t0 + 1.0 > on) & (t0 < off - 0.5)] = 0.99
    a = replace(FilterConfig(threshold=0.5), enabled=("smoothing",))
    never = replace(a, min_bout_s=60.0)  # no bout is that long: finds nothing
    res = ev.compare_configs(s, an, [a, never, a], np.array([0.5, 0.995]), (0.0, 1e9))
    strict, loose = res["matched_far"]  # type: ignore[misc]
    assert strict["detector1"]["sensitivity"] == 0.0 and loose["detector1"]["sensitivity"] == 0.0
    assert loose["detector0"]["sensitivity"] == 1.0 and loose["detector0"]["threshold"] == 0.5
    assert loose["detector0"]["far_per_hour"] > 0
    # under 0 FA/h only the threshold that detects nothing qualifies (the cry-free files alarm)
    assert strict["detector0"]["threshold"] == 0.995 and strict["detector0"]["sensitivity"] == 0.0
    p1, p2 = res["paired_vs_detector0"]  # type: ignore[misc]
    assert p1["all"]["difference"] == -1.0 and p1["all"]["ci95"] == [-1.0, -1.0]
    assert p2["all"]["difference"] == 0.0


def test_compare_cli_puts_models_side_by_side_and_refuses_mismatched_counts(tmp_path):
    """cry compare --model A --model B: one scoring per model under one config; the same model
    twice gives identical points and a paired difference of 0; counts that do not pair up give
    one error line and exit 2."""
    import json
    import subprocess
    import sys
    from dataclasses import replace

    from cribwatch.cry.postprocess import FilterConfig
    from cribwatch.cry.train import TrainConfig, train

    make_tiny_set(tmp_path / "s", n_files=4)
    for seed in (0, 1):
        cfg = TrainConfig(minutes=5, steps=2, batch=16, keep="last", seed=seed)
        train(tmp_path / "s", tmp_path / f"m{seed}.pt", cfg, log=False)
    conf = tmp_path / "c.json"
    det = replace(FilterConfig(threshold=0.5), enabled=("smoothing",))
    conf.write_text(json.dumps({"detector": det.to_dict()}))

    def run(*extra: str) -> subprocess.CompletedProcess:
        args = ["cry", "compare", "--data", str(tmp_path / "s"), "--grid", "0.2,0.5,0.8"]
        return subprocess.run(
            [sys.executable, "-c", "from cribwatch.cli import main; main()", *args, *extra],
            capture_output=True,
            timeout=300,
        )

    m0, m1 = str(tmp_path / "m0.pt"), str(tmp_path / "m1.pt")
    r = run("--model", m0, "--model", m1, "--model", m0, "--config", str(conf), "--far", "1e9")
    assert r.returncode == 0, r.stderr.decode()[-2000:]
    res = json.loads(r.stdout) if r.stdout.startswith(b"{") else None
    assert res is None  # text unless --json
    assert b"detector 2 - detector 0" in r.stdout
    r = run("--model", m0, "--model", m1, "--model", m0, "--config", str(conf), "--json")
    res = json.loads(r.stdout)
    assert [d["model"] for d in res["detectors"]] == [m0, m1, m0]
    for row in res["matched_far"]:
        assert row["detector0"] == row["detector2"]
    assert res["paired_vs_detector0"][1]["all"]["difference"] == 0.0
    bad = run(
        "--model",
        m0,
        "--model",
        m1,
        "--config",
        str(conf),
        "--config",
        str(conf),
        "--config",
        str(conf),
    )
    lines = bad.stderr.decode().strip().splitlines()
    assert bad.returncode == 2 and len(lines) == 1 and "--model" in lines[0], lines
