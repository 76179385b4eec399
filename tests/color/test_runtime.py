"""The deployable NumPy/OpenCV pipeline against the torch pipeline it mirrors."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import asdict
from pathlib import Path

import numpy as np
import pytest

from cribwatch.color.deploy import export
from cribwatch.color.lab import np_to_t, t_to_np
from cribwatch.color.mask import SSIMMapConfig, ssim_attention_map
from cribwatch.color.metrics import psnr
from cribwatch.color.pipeline import Colorizer, load_net
from cribwatch.color.runtime import (
    ColorRuntime,
    _centred_side,
    ssim_attention_map_np,
    ssim_map_np,
    ssim_reference_np,
)
from cribwatch.errors import CribwatchError
from cribwatch.io import read_gray, read_rgb


def test_ssim_map_twin_matches_torch() -> None:
    from skimage import data as skdata
    from skimage.transform import resize

    a = resize(skdata.camera(), (64, 64), anti_aliasing=True).astype(np.float32)
    b = a.copy()
    b[20:40, 10:50] = a[20:40, 10:50][::-1, ::-1]  # a changed block (same mean and spread)
    cfg = SSIMMapConfig(work_side=64)
    want = t_to_np(ssim_attention_map(np_to_t(a), np_to_t(b), cfg))
    got = ssim_attention_map_np(a, b, asdict(cfg))
    assert np.abs(want - got).max() < 1e-4
    assert got[25:35, 20:40].mean() < 0.5 < got[50:, :].mean()  # it still sees the change


def _skimage_ssim(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    from skimage.metrics import structural_similarity

    _, full = structural_similarity(
        a.astype(np.float64),
        b.astype(np.float64),
        full=True,
        gaussian_weights=True,
        sigma=1.5,
        use_sample_covariance=False,
        data_range=1,
    )
    return np.asarray(full)


def test_float32_ssim_map_matches_skimage() -> None:
    """The float32 SSIM map is scikit-image's within 1e-4 away from the 5-pixel border
    (where the border rules differ: reflect-101 here, reflect-with-edge there)."""
    import cv2
    from skimage import data as skdata

    rng = np.random.default_rng(0)
    cam = skdata.camera()[::4, ::4].astype(np.float32) / 255.0
    coins = skdata.coins()[::2, ::2].astype(np.float32) / 255.0
    pairs = [
        (cam, np.clip(cam + rng.normal(0, 0.05, cam.shape), 0, 1).astype(np.float32)),
        (coins, np.clip(coins * 0.7 + 0.1, 0, 1).astype(np.float32)),
    ]
    # the pipeline's own inputs: a bundled night/day pair, normalised and denoised
    sample = Path(__file__).parents[2] / "cribwatch/demo/samples/color/00000"
    n8 = cv2.imread(str(sample / "night.png"), cv2.IMREAD_GRAYSCALE)
    r8 = cv2.imread(str(sample / "reference.png"), cv2.IMREAD_GRAYSCALE)
    cfg = asdict(SSIMMapConfig(work_side=128))
    n, r = (
        cv2.resize(v.astype(np.float32) / 255.0, (128, 128), interpolation=cv2.INTER_AREA)
        for v in (n8, r8)
    )
    pairs.append((_centred_side(n, cfg) + 0.5, _centred_side(r, cfg) + 0.5))
    for a, b in pairs:
        got = ssim_map_np(a, b)
        assert got.dtype == np.float32 and got.shape == a.shape
        want = _skimage_ssim(a, b)
        assert np.abs(got - want)[5:-5, 5:-5].max() < 1e-4
        # and the whole map (border included) against the torch definition (reflect border)
        from cribwatch.color.ssim import ssim_map

        full = t_to_np(ssim_map(np_to_t(a), np_to_t(b)))
        assert np.abs(got - full).max() < 1e-4


def test_ssim_reference_half_is_reused() -> None:
    """Preparing the reference's half once gives the same map as passing the reference."""
    rng = np.random.default_rng(1)
    a = rng.random((48, 40), dtype=np.float32)
    b = rng.random((48, 40), dtype=np.float32)
    cfg = asdict(SSIMMapConfig(work_side=48))
    once = ssim_attention_map_np(a, None, cfg, ssim_reference_np(b, cfg))
    assert np.array_equal(once, ssim_attention_map_np(a, b, cfg))
    assert once.dtype == np.float32
    with pytest.raises(CribwatchError, match="ref_gray or ref_side"):
        ssim_attention_map_np(a, None, cfg)


def test_runtime_matches_torch_pipeline(weights: Path, pair_set: Path, tmp_path: Path) -> None:
    model = tmp_path / "net.onnx"
    export(weights, "onnx", model)
    torch_pipe = Colorizer(load_net(weights))
    rt = ColorRuntime(model)
    pair = sorted(p for p in pair_set.iterdir() if p.is_dir())[0]
    night, ref = read_gray(pair / "night.png"), read_rgb(pair / "reference.png")
    n8 = np.round(night * 255).astype(np.uint8)
    r8 = np.round(ref * 255).astype(np.uint8)
    rt.set_reference(r8, n8.shape)
    got = rt(n8)
    assert got.dtype == np.uint8 and got.shape == (*n8.shape, 3)
    want = torch_pipe(night, ref)
    assert psnr(got.astype(np.float32) / 255.0, want) > 40.0
    # and it is coloured at all (the fixture's head has a bias), not a grey copy
    assert np.abs(got[..., 0].astype(int) - got[..., 2].astype(int)).mean() > 2


def test_runtime_bad_input(weights: Path, tmp_path: Path) -> None:
    model = tmp_path / "net.onnx"
    export(weights, "onnx", model)
    rt = ColorRuntime(model)
    with pytest.raises(CribwatchError, match="uint8"):
        rt.set_reference(np.zeros((8, 8, 3), np.float32))
    rt.set_reference(np.zeros((40, 50, 3), np.uint8))
    with pytest.raises(CribwatchError, match="does not match"):
        rt.pre(np.zeros((41, 50), np.uint8))
    bad = tmp_path / "bad.onnx"
    bad.write_bytes(b"not a model")
    with pytest.raises(CribwatchError, match="bad.onnx"):
        ColorRuntime(bad)


def test_runtime_process_needs_no_torch(weights: Path, tmp_path: Path) -> None:
    model = tmp_path / "net.onnx"
    export(weights, "onnx", model)
    code = (
        "import sys; from cribwatch.color.runtime import bench_one; "
        f"bench_one(__import__('pathlib').Path({str(model)!r}), 60, 80, 1, frames=2, warmup=1); "
        "print('torch' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip().splitlines()[-1] == "False"


def _post_lab8_per_plane(rt: ColorRuntime, outs: list[np.ndarray], night: np.ndarray) -> np.ndarray:
    """The post stage as it was before issue 27 (one plane at a time, mixing as
    ``ab + gate (ref_ab - ab)``, ``+ 128`` in the 8-bit conversion): the reference form."""
    import cv2

    from cribwatch.color.runtime import G_TABLE, L8_TABLE, guided_upsample_np, shrink

    s = rt.size
    g_hr = cv2.LUT(night, G_TABLE)
    g_lr = shrink(g_hr, (s, s))
    parts = [outs[0][0].transpose(1, 2, 0)]
    if len(outs) > 1:
        parts.append(outs[1][0].transpose(1, 2, 0))
    src = np.ascontiguousarray(np.concatenate(parts, axis=2), dtype=np.float32)
    scale = (110.0, 110.0, 1.0)[: src.shape[2]]
    planes = guided_upsample_np(g_lr, src, g_hr, rt.cfg.radius, rt.cfg.eps, scale)
    ab = planes[:2]
    if len(planes) > 2:
        gate = np.clip(planes[2], 0.0, 1.0)
        ref_ab = [rt._ref["ab_hr"][..., k] - np.float32(128.0) for k in (1, 2)]
        ab = [a + gate * (r - a) for a, r in zip(ab, ref_ab, strict=True)]
    chans = [cv2.add(c, 128.0, dtype=cv2.CV_8U) for c in ab]
    return np.asarray(cv2.merge([cv2.LUT(night, L8_TABLE), *chans]))


@pytest.mark.parametrize("shape", [(48, 64), (61, 83)])
def test_post_matches_per_plane_form(
    weights: Path, pair_set: Path, tmp_path: Path, shape: tuple[int, int]
) -> None:
    """The fused three-channel post stage (float32, work buffers, blendLinear mixing) gives
    the per-plane form's 8-bit Lab: L identical, a and b within one level (float rounding
    at a .5 boundary), and almost every pixel identical."""
    import cv2

    model = tmp_path / "net.onnx"
    export(weights, "onnx", model)
    rt = ColorRuntime(model)
    for pair in sorted(p for p in pair_set.iterdir() if p.is_dir())[:2]:
        night = np.round(read_gray(pair / "night.png") * 255).astype(np.uint8)
        ref = np.round(read_rgb(pair / "reference.png") * 255).astype(np.uint8)
        night = cv2.resize(night, shape[::-1], interpolation=cv2.INTER_LINEAR)
        ref = cv2.resize(ref, shape[::-1], interpolation=cv2.INTER_LINEAR)
        rt.set_reference(ref)
        feeds = rt.pre(night)
        outs = rt.model(feeds)
        want = _post_lab8_per_plane(rt, outs, night)
        got = rt.post_lab8(outs, feeds).copy()
        diff = np.abs(got.astype(int) - want.astype(int))
        assert np.array_equal(got[..., 0], want[..., 0])
        assert diff.max() <= 1
        assert (diff > 0).mean() < 0.01
        rgb = rt.post(outs, feeds)
        assert np.array_equal(rgb, cv2.cvtColor(got, cv2.COLOR_Lab2RGB))


def test_runtime_applies_the_change_evidence(weights: Path, tmp_path: Path) -> None:
    """A network trained with change evidence (``meta.evidence``) carries it into the ONNX
    metadata, and the runtime feeds it the map fused with the change probability."""
    from cribwatch.color.checkpoint import load_checkpoint, save_checkpoint
    from cribwatch.color.evidence import FEATURES, Logistic

    k = 2 * len(FEATURES)
    ev = Logistic((0.0,) * k, (1.0,) * k, (0.0,) * k, 1.0)  # p = sigmoid(1) everywhere
    state = load_checkpoint(weights)
    state["meta"] = {**state.get("meta", {}), "evidence": asdict(ev)}
    with_ev = tmp_path / "ev.pt"
    save_checkpoint(with_ev, state)
    plain, fused = tmp_path / "plain.onnx", tmp_path / "fused.onnx"
    export(weights, "onnx", plain)
    export(with_ev, "onnx", fused)
    rng = np.random.default_rng(0)
    ref = (rng.random((48, 64, 3)) * 255).astype(np.uint8)
    night = (rng.random((48, 64)) * 120).astype(np.uint8)
    maps = []
    for model in (plain, fused):
        rt = ColorRuntime(model)
        rt.set_reference(ref, night.shape)
        maps.append(rt.pre(night)["smap"])
    assert ColorRuntime(plain).evidence is None
    assert np.allclose(maps[1], maps[0] * (1 - 1 / (1 + np.exp(-1.0))), atol=1e-6)


def test_runtime_evidence_matches_torch(weights: Path, pair_set: Path, tmp_path: Path) -> None:
    """With a real (non-constant) change classifier the runtime's output stays within 40 dB of
    the torch composition that feeds the network the fused map (model.evidence_inputs)."""
    import torch

    from cribwatch.color.checkpoint import load_checkpoint, save_checkpoint
    from cribwatch.color.evidence import FEATURES, Logistic
    from cribwatch.color.lab import compose, gray_to_l
    from cribwatch.color.model import evidence_inputs, make_inputs
    from cribwatch.color.pipeline import PipelineConfig, _parts_hr

    k = len(FEATURES)
    coef = (0.0, 0.5, 0.3, 0.8, 0.2, 0.2) * 2
    ev = Logistic((0.0,) * 2 * k, (1.0,) * 2 * k, coef, -2.0)
    state = load_checkpoint(weights)
    state["meta"] = {**state.get("meta", {}), "evidence": asdict(ev)}
    with_ev = tmp_path / "ev.pt"
    save_checkpoint(with_ev, state)
    model = tmp_path / "ev.onnx"
    export(with_ev, "onnx", model)
    net = load_net(with_ev)
    pair = sorted(p for p in pair_set.iterdir() if p.is_dir())[0]
    n8 = np.round(read_gray(pair / "night.png") * 255).astype(np.uint8)
    r8 = np.round(read_rgb(pair / "reference.png") * 255).astype(np.uint8)
    n, r = np_to_t(n8 / np.float32(255)), np_to_t(r8 / np.float32(255))
    size = net.model.cfg.size
    with torch.no_grad():
        night_l, ref_lab, smap = make_inputs(n, r, size, net.ssim_cfg)
        assert smap is not None
        p, fused = evidence_inputs(n, r, smap, ev, size)
        assert float(p.std()) > 0.01  # the classifier is not constant here
        ab, gate = net.model.forward_parts(night_l, ref_lab, fused)
        assert gate is not None
        l_hr = gray_to_l(n)
        ab_hr, gate_hr, ref_ab_hr = _parts_hr(ab, gate, r, l_hr, PipelineConfig())
        want = t_to_np(compose(l_hr, gate_hr * ref_ab_hr + (1.0 - gate_hr) * ab_hr))
    rt = ColorRuntime(model)
    rt.set_reference(r8, n8.shape)
    got = rt(n8).astype(np.float32) / 255.0
    assert psnr(got, want) > 40.0


def test_runtime_evidence_stream_cache() -> None:
    """The shipped network with change evidence: reusing the NIR fit across frames
    (``evidence_refit``) gives the per-frame output while the frame and reference stay, and a
    new reference starts afresh (equal to a runtime that saw only that reference)."""
    from cribwatch.color.runtime import RuntimeConfig

    model = Path(__file__).parents[2] / "cribwatch" / "weights" / "color_ssim_guided_slim_ev.onnx"
    rng = np.random.default_rng(5)
    refs = [
        np.kron(rng.random((6, 8, 3)) * 255, np.ones((8, 8, 1))).astype(np.uint8) for _ in range(2)
    ]
    night = (refs[0].mean(axis=2) * 0.4 + rng.random((48, 64)) * 20).astype(np.uint8)
    every = ColorRuntime(model, cfg=RuntimeConfig(evidence_refit=1))
    cached = ColorRuntime(model, cfg=RuntimeConfig(evidence_refit=4))
    assert every.evidence is not None
    for rt in (every, cached):
        rt.set_reference(refs[0])
    for _ in range(5):
        assert np.array_equal(cached(night), every(night))
    assert cached._evidence_state.refits == 2
    cached.set_reference(refs[1])
    fresh = ColorRuntime(model, cfg=RuntimeConfig(evidence_refit=4))
    fresh.set_reference(refs[1])
    assert np.array_equal(cached(night), fresh(night))
    with pytest.raises(CribwatchError, match="evidence_refit"):
        ColorRuntime(model, cfg=RuntimeConfig(evidence_refit=0))


def test_runtime_evidence_fit_config() -> None:
    """The NIR fit of the runtime's change evidence is a setting: the default is the fit the
    shipped classifier was fitted with (stride 2, 6 rounds); ``evidence_stride`` and
    ``evidence_rounds`` choose another (the cheap 4 and 8 changes the output), and bad values
    are refused on construction and by the config loader, naming the key and the file."""
    from cribwatch.cards import from_mapping
    from cribwatch.color.evidence import EvidenceState
    from cribwatch.color.runtime import RuntimeConfig

    assert (RuntimeConfig().evidence_stride, RuntimeConfig().evidence_rounds) == (2, 6)
    model = Path(__file__).parents[2] / "cribwatch" / "weights" / "color_ssim_guided_slim_ev.onnx"
    rng = np.random.default_rng(9)
    ref = np.kron(rng.random((6, 8, 3)) * 255, np.ones((8, 8, 1))).astype(np.uint8)
    night = (ref.mean(axis=2) * 0.4 + rng.random((48, 64)) * 20).astype(np.uint8)
    night[8:24, 8:24] = 200  # a change the evidence sees
    cfg = from_mapping(
        RuntimeConfig, {"evidence_stride": 4, "evidence_rounds": 8, "evidence_refit": 1}, "rt.json"
    )
    runs = {}
    for name, c in (("default", RuntimeConfig(evidence_refit=1)), ("cheap", cfg)):
        rt = ColorRuntime(model, cfg=c)
        rt.set_reference(ref)
        runs[name] = rt(night)
        state = rt._evidence_state
        assert isinstance(state, EvidenceState)
        assert (state.stride, state.rounds) == (c.evidence_stride, c.evidence_rounds)
    assert not np.array_equal(runs["default"], runs["cheap"])
    for key, bad in (("evidence_stride", 0), ("evidence_rounds", 0), ("evidence_refit", 0)):
        with pytest.raises(CribwatchError, match=key):
            RuntimeConfig(**{key: bad})
        with pytest.raises(CribwatchError, match=f"rt.json.*{key}|{key}.*rt.json"):
            from_mapping(RuntimeConfig, {key: bad}, "rt.json")
    with pytest.raises(CribwatchError, match="evidence_stride"):
        from_mapping(RuntimeConfig, {"evidence_stride": True}, "rt.json")
    with pytest.raises(CribwatchError, match="evidence_rounds"):
        from_mapping(RuntimeConfig, {"evidence_rounds": 2.5}, "rt.json")
