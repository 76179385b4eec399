"""Full-resolution pipeline: guided upsampling, learned methods, shipped weights."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path

import numpy as np
import pytest
import torch
from skimage.color import rgb2lab

from cribwatch.color.lab import gray_to_l, np_to_t
from cribwatch.color.mask import SSIMMapConfig
from cribwatch.color.model import ColorNet, ColorNetConfig, config_dict
from cribwatch.color.pipeline import (
    LEARNED_METHODS,
    WEIGHTS,
    BlendColorizer,
    Colorizer,
    PipelineConfig,
    default_weights,
    guided_upsample,
    learned_method,
    load_net,
    upsample_ab,
)
from cribwatch.color.train import CKPT_FORMAT, save_checkpoint
from cribwatch.errors import CribwatchError

SMALL = dict(size=32, widths=(8, 16, 16, 24), ref_widths=(8, 8, 16, 16), bottleneck_blocks=1)


def _save(path: Path, **kw: bool) -> Path:
    torch.manual_seed(0)
    cfg = ColorNetConfig(**SMALL, **kw)  # type: ignore[arg-type]
    net = ColorNet(cfg)
    with torch.no_grad():
        net.head.bias.copy_(torch.tensor([0.3, -0.2]))
    save_checkpoint(
        path,
        {
            "format": CKPT_FORMAT,
            "config": config_dict(cfg),
            "ssim_config": asdict(SSIMMapConfig(work_side=32)),
            "model": net.state_dict(),
            "meta": {},
        },
    )
    return path


def test_guided_upsampling_follows_guide_edges() -> None:
    h = 96
    x = torch.arange(h, dtype=torch.float32).view(1, 1, 1, h).expand(1, 1, h, h)
    guide_hr = (x >= 45).float() * 0.6 + 0.2  # a sharp vertical edge, off the low-res grid
    ideal = (x >= 45).float() * 2 - 1  # chroma changes exactly at the same edge
    lr = (24, 24)
    guide_lr = torch.nn.functional.interpolate(guide_hr, size=lr, mode="area")
    src_lr = torch.nn.functional.interpolate(ideal, size=lr, mode="area")
    guided = guided_upsample(guide_lr, src_lr, guide_hr, radius=2, eps=1e-4)
    bilinear = torch.nn.functional.interpolate(src_lr, size=(h, h), mode="bilinear")
    err_g = float((guided - ideal).abs().mean())
    err_b = float((bilinear - ideal).abs().mean())
    assert err_g < 0.5 * err_b, (err_g, err_b)
    # constant chroma stays constant
    const = guided_upsample(guide_lr, torch.full_like(src_lr, 0.3), guide_hr)
    assert torch.allclose(const, torch.full_like(const, 0.3), atol=1e-5)


def test_upsample_ab_modes() -> None:
    ab = torch.rand(1, 2, 16, 16) * 40 - 20
    l_hr = gray_to_l(torch.rand(1, 1, 48, 64))
    for mode in ("guided", "bilinear"):
        out = upsample_ab(ab, l_hr, PipelineConfig(upsample=mode))  # type: ignore[arg-type]
        assert out.shape == (1, 2, 48, 64)
    with pytest.raises(CribwatchError):
        upsample_ab(ab, l_hr, PipelineConfig(upsample="nearest"))  # type: ignore[arg-type]


def test_colorizer_full_resolution_keeps_night_lightness(tmp_path: Path) -> None:
    net = load_net(_save(tmp_path / "g.pt"))
    rng = np.random.default_rng(0)
    night = rng.random((60, 80)).astype(np.float32) * 0.5
    ref = rng.random((90, 120, 3)).astype(np.float32)
    out = Colorizer(net)(night, ref)
    assert out.shape == (60, 80, 3) and out.dtype == np.float32
    assert 0 <= out.min() and out.max() <= 1
    l_out = rgb2lab(out)[..., 0]
    l_night = gray_to_l(np_to_t(night))[0, 0].numpy()
    # ab may push colours out of gamut (clipped), so compare where chroma is moderate
    assert np.median(np.abs(l_out - l_night)) < 2.0
    # the net's colour is there (non-zero ab bias)
    assert np.abs(rgb2lab(out)[..., 1:]).mean() > 3
    with pytest.raises(CribwatchError):
        Colorizer(net)(night[..., None].repeat(3, 2), ref)
    with pytest.raises(CribwatchError):
        Colorizer(net)(np.full((8, 8), np.nan, np.float32), ref)


def test_blend_follows_map(tmp_path: Path) -> None:
    ref_net = load_net(_save(tmp_path / "r.pt", attention=False))
    auto_net = load_net(_save(tmp_path / "a.pt", reference=False))
    rng = np.random.default_rng(1)
    reference = np.clip(
        rng.random((64, 64, 3)) * 0.2 + np.linspace(0, 0.8, 64)[:, None, None], 0, 1
    )
    night = reference.mean(axis=2).astype(np.float32)  # unchanged scene: map near 1
    blend = BlendColorizer(ref_net, auto_net)(night, reference.astype(np.float32))
    ref_only = Colorizer(ref_net)(night, reference.astype(np.float32))
    auto_only = Colorizer(auto_net)(night, reference.astype(np.float32))
    d_ref = np.abs(blend - ref_only).mean()
    d_auto = np.abs(blend - auto_only).mean()
    assert d_ref < d_auto
    with pytest.raises(CribwatchError):
        BlendColorizer(auto_net, ref_net)


def test_learned_method_errors(tmp_path: Path) -> None:
    with pytest.raises(CribwatchError):
        learned_method("nonsense")
    with pytest.raises(CribwatchError):
        learned_method("ssim-guided@nearest")
    auto = _save(tmp_path / "a.pt", reference=False)
    with pytest.raises(CribwatchError):
        learned_method("ssim-guided", auto)  # wrong kind of weights
    with pytest.raises(CribwatchError):
        learned_method("blend", auto)
    with pytest.raises(CribwatchError):
        load_net(tmp_path / "missing.pt")
    m = learned_method("auto@bilinear", auto)
    assert m(np.zeros((20, 30), np.float32), np.zeros((20, 30, 3), np.float32)).shape == (20, 30, 3)


@pytest.mark.parametrize("method", sorted(WEIGHTS))
def test_shipped_weights_load_and_have_cards(method: str) -> None:
    path = default_weights(method)
    assert path.is_file(), f"{path} missing"
    net = load_net(path)
    cfg = net.model.cfg
    assert cfg.reference == (method != "auto")
    if method != "auto":
        assert cfg.attention == (method == "ssim-guided")
    card = json.loads(path.with_suffix(".json").read_text())
    for key in ("method", "command", "seed", "minutes", "params", "macs", "data", "licences"):
        assert key in card, key
    assert card["params"] == sum(p.numel() for p in net.model.parameters())
    assert card["params"] <= 300_000 and card["macs"] <= 0.25e9
    # the shipped network colours a frame at full size
    rng = np.random.default_rng(0)
    out = learned_method(method)(
        rng.random((48, 64)).astype(np.float32), rng.random((48, 64, 3)).astype(np.float32)
    )
    assert out.shape == (48, 64, 3) and np.isfinite(out).all()


def test_learned_methods_listed() -> None:
    assert set(LEARNED_METHODS) == {"ssim-guided", "ref", "auto", "blend"}


def test_open_gate_reproduces_transfer_at_full_resolution(tmp_path: Path) -> None:
    """With the gate fully open on an unchanged scene, the full-resolution composition gives
    the reference's own chroma (as ``transfer``), with its full-resolution detail."""
    from cribwatch.color.transfer import transfer

    path = _save(tmp_path / "g.pt")
    net = load_net(path)
    assert net.model.gate is not None
    with torch.no_grad():
        net.model.gate.weight.zero_()
        net.model.gate.bias.fill_(30.0)
    rng = np.random.default_rng(2)
    reference = np.clip(
        rng.random((48, 64, 3)) * 0.3 + np.linspace(0, 0.7, 64)[None, :, None], 0, 1
    ).astype(np.float32)
    night = reference.mean(axis=2).astype(np.float32)
    want = transfer(night, reference)  # the night frame is the reference's grey: no change
    full = Colorizer(net)(night, reference)
    low = Colorizer(net, PipelineConfig(compose="model"))(night, reference)
    err_full = np.abs(rgb2lab(full) - rgb2lab(want))[..., 1:].mean()
    err_low = np.abs(rgb2lab(low) - rgb2lab(want))[..., 1:].mean()
    assert err_full < 0.5 and err_full < err_low, (err_full, err_low)
    assert learned_method("ssim-guided@lowres", path)(night, reference).shape == (48, 64, 3)


def test_colour_parts_recompose_the_output(tmp_path: Path, pair_set: Path) -> None:
    """gate * reference ab + (1 - gate) * own ab, with the night L, is the Colorizer's output."""
    from cribwatch.color.eval import load_inputs
    from cribwatch.color.lab import compose, t_to_np
    from cribwatch.color.pairs import load_pair_set
    from cribwatch.color.pipeline import colour_parts

    net = load_net(_save(tmp_path / "g.pt"))
    night, reference = load_inputs(load_pair_set(pair_set)[0])
    ab, gate, ref_ab, l_hr = colour_parts(net, night, reference)
    assert ab.shape[-2:] == gate.shape[-2:] == night.shape
    assert float(gate.min()) >= 0.0 and float(gate.max()) <= 1.0
    mixed = t_to_np(compose(l_hr, gate * ref_ab + (1.0 - gate) * ab))
    assert np.abs(mixed - Colorizer(net)(night, reference)).max() < 1e-5
    with pytest.raises(CribwatchError):
        colour_parts(load_net(_save(tmp_path / "a.pt", reference=False)), night, reference)


def test_diagnose_columns(tmp_path: Path, pair_set: Path) -> None:
    """Per-edit-type rows; with the gate forced open the output is the reference's colour, and
    with the gate forced shut it is the network's own ab (scale 1)."""
    from cribwatch.color.diagnose import diagnose, table

    net = load_net(_save(tmp_path / "g.pt"))
    assert net.model.gate is not None
    with torch.no_grad():
        net.model.gate.weight.zero_()
        net.model.gate.bias.fill_(-30.0)
    shut = diagnose(pair_set, net, scales=(0.5, 1.0))
    groups = shut["groups"]
    assert groups["all"]["n"] >= 1 and set(groups) - {"all"} <= {
        "move",
        "paste",
        "recolor",
        "texture",
    }
    row = groups["all"]
    assert abs(row["output"] - row["oracle gate, own x 1"]) < 1e-3
    assert row["gate_changed"] < 1e-6
    assert row["oracle gate, own x 1"] != row["oracle gate, own x 0.5"]
    with torch.no_grad():
        net.model.gate.bias.fill_(30.0)
        net.model.cfg = ColorNetConfig(**{**asdict(net.model.cfg), "gate_full_at": 1e-6})
    row = diagnose(pair_set, net, scales=(1.0,))["groups"]["all"]
    assert abs(row["output"] - row["reference"]) < 0.05
    assert "| oracle gate, own x 0.5 |" in table(shut)
