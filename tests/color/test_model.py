"""The colorization network: shapes, budgets, the attention and reference switches."""

from __future__ import annotations

import pytest
import torch

from cribwatch.color.model import (
    ColorNet,
    ColorNetConfig,
    config_dict,
    config_from_dict,
    count_macs,
    count_params,
    make_inputs,
)
from cribwatch.errors import CribwatchError

S = 64


def _inputs(
    b: int = 2, s: int = S, seed: int = 0
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    return (
        torch.rand(b, 1, s, s, generator=g),
        torch.rand(b, 3, s, s, generator=g) * 2 - 1,
        torch.rand(b, 1, s, s, generator=g),
    )


def _net(**kw: bool) -> ColorNet:
    torch.manual_seed(0)
    net = ColorNet(ColorNetConfig(**kw)).eval()
    # Random BN statistics so that no path is trivially zero.
    for m in net.modules():
        if isinstance(m, torch.nn.BatchNorm2d):
            m.running_mean.uniform_(-0.1, 0.1)
            m.running_var.uniform_(0.5, 1.5)
    return net


@pytest.mark.parametrize("kw", [{}, {"attention": False}, {"reference": False}])
def test_shapes_and_bounds(kw: dict[str, bool]) -> None:
    net = _net(**kw)
    night, ref, smap = _inputs()
    out = net(night, ref, smap)
    assert out.shape == (2, 2, S, S)
    assert out.abs().max() <= 1.0
    # fully convolutional: another (non-square) size works too
    out2 = net(torch.rand(1, 1, 32, 48), torch.rand(1, 3, 32, 48), torch.rand(1, 1, 32, 48))
    assert out2.shape == (1, 2, 32, 48)


def test_budget_params_and_macs() -> None:
    for kw in ({}, {"attention": False}, {"reference": False}):
        net = ColorNet(ColorNetConfig(**kw))
        assert 10_000 < count_params(net) <= 300_000
        macs = count_macs(net, 128)
        assert 10e6 < macs <= 0.25e9
    # the attention switch shares all parameters (same architecture)
    assert count_params(ColorNet(ColorNetConfig(attention=False))) == count_params(ColorNet())


def test_attention_off_ignores_map() -> None:
    net = _net(attention=False)
    night, ref, smap = _inputs()
    with torch.no_grad():
        a = net(night, ref, smap)
        b = net(night, ref, torch.zeros_like(smap))
        c = net(night, ref, None)
    assert torch.equal(a, b) and torch.equal(a, c)
    # ... but the reference does matter
    with torch.no_grad():
        d = net(night, torch.rand_like(ref), smap)
    assert (a - d).abs().max() > 1e-4


def test_attention_zero_map_removes_reference() -> None:
    net = _net()
    night, ref, smap = _inputs()
    zero = torch.zeros_like(smap)
    with torch.no_grad():
        a = net(night, ref, zero)
        b = net(night, torch.rand_like(ref) * 2 - 1, zero)
        # with a non-zero map the reference changes the output
        c = net(night, ref, smap)
        d = net(night, torch.rand_like(ref) * 2 - 1, smap)
    assert torch.allclose(a, b, atol=1e-6)
    assert (c - d).abs().max() > 1e-4
    # and the map changes the output when attention is on
    assert (a - c).abs().max() > 1e-4


def test_reference_off_needs_no_reference() -> None:
    net = _net(reference=False)
    night, ref, smap = _inputs()
    with torch.no_grad():
        a = net(night)
        b = net(night, ref, smap)
    assert torch.equal(a, b)
    assert net.ref is None


def test_missing_inputs_raise() -> None:
    night, ref, _ = _inputs()
    with pytest.raises(CribwatchError):
        _net()(night, ref, None)
    with pytest.raises(CribwatchError):
        _net(attention=False)(night, None, None)


def test_make_inputs() -> None:
    night = torch.rand(2, 1, 90, 120)
    ref = torch.rand(2, 3, 100, 140)
    lt, lab, smap = make_inputs(night, ref, size=64)
    assert lt.shape == (2, 1, 64, 64) and lab is not None and smap is not None
    assert lab.shape == (2, 3, 64, 64) and smap.shape == (2, 1, 64, 64)
    assert 0 <= float(lt.min()) and float(lt.max()) <= 1.0
    assert float(smap.min()) >= 0 and float(smap.max()) <= 1
    assert float(lab[:, 1:].abs().max()) <= 1.0
    # identical frames: map near 1; a night frame made of the reference's grey matches it
    grey = ref.mean(dim=1, keepdim=True)
    _, _, same = make_inputs(grey, grey.repeat(1, 3, 1, 1), size=64)
    assert same is not None and float(same.mean()) > 0.9
    l2, lab2, smap2 = make_inputs(night, None, size=64)
    assert lab2 is None and smap2 is None and l2.shape == (2, 1, 64, 64)
    with pytest.raises(CribwatchError):
        make_inputs(torch.rand(2, 3, 8, 8), ref)


def test_config_roundtrip() -> None:
    cfg = ColorNetConfig(attention=False, widths=(8, 16, 24, 32))
    assert config_from_dict(config_dict(cfg)) == cfg
    with pytest.raises(CribwatchError):
        config_from_dict({"nonsense": 1})


def test_slim_architecture_budget_and_shapes() -> None:
    """The slim preset works every level at half of model resolution: about a tenth of the
    default network's MACs, outputs still at model resolution and in range."""
    from cribwatch.color.model import ARCHITECTURES, SLIM

    assert ARCHITECTURES["slim"] is SLIM and SLIM.stem_stride == 2
    slim, default = ColorNet(SLIM).eval(), ColorNet(ColorNetConfig()).eval()
    assert count_macs(slim) < 0.12 * count_macs(default)
    s = SLIM.size
    x, ref, smap = torch.rand(1, 1, s, s), torch.rand(1, 3, s, s) - 0.3, torch.rand(1, 1, s, s)
    with torch.no_grad():
        ab, gate = slim.forward_parts(x, ref, smap)
    assert ab.shape == (1, 2, s, s) and gate is not None and gate.shape == (1, 1, s, s)
    assert float(ab.abs().max()) <= 1.0 and 0.0 <= float(gate.min()) <= float(gate.max()) <= 1.0


def test_fused_heads_equal_the_two_convolutions() -> None:
    """The heads run as one three-output convolution: the same values as ``head`` and
    ``gate`` applied one by one."""
    torch.manual_seed(0)
    net = ColorNet(ColorNetConfig(size=32)).eval()
    x, ref, smap = torch.rand(1, 1, 32, 32), torch.rand(1, 3, 32, 32), torch.rand(1, 1, 32, 32)
    feats: list[torch.Tensor] = []
    hook = net.up0.register_forward_hook(lambda _m, _i, out: feats.append(out))
    with torch.no_grad():
        ab, gate = net.forward_parts(x, ref, smap)
        hook.remove()
        assert net.gate is not None and gate is not None
        want_ab = torch.tanh(net.head(feats[0]))
        limit = torch.clamp(smap / net.cfg.gate_full_at, max=1.0)
        want_gate = torch.sigmoid(net.gate(feats[0])) * limit
    assert torch.allclose(ab, want_ab, atol=1e-6) and torch.allclose(gate, want_gate, atol=1e-6)
