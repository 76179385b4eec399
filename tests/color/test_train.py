"""Training: a short run lowers the loss, resume is exact, DDP keeps ranks identical."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image
from scipy.ndimage import gaussian_filter

from cribwatch.color.metrics import colorfulness
from cribwatch.color.model import ColorNet, ColorNetConfig, make_inputs
from cribwatch.color.train import (
    ChangeConfig,
    PairSampler,
    TrainConfig,
    change_terms,
    colorfulness_t,
    load_checkpoint,
    loss_terms,
    train,
)
from cribwatch.errors import CribwatchError
from tests.ddp import run_two_ranks

SMALL = ColorNetConfig(
    size=32, widths=(8, 16, 16, 24), ref_widths=(8, 8, 16, 16), bottleneck_blocks=1
)


def _scene(rng: np.random.Generator, h: int, w: int) -> np.ndarray:
    """A smooth colourful field with a few flat colour blocks (learnable from L)."""
    img = gaussian_filter(rng.random((h, w, 3)), sigma=(6, 6, 0))
    img = (img - img.min()) / (np.ptp(img) + 1e-6)
    for _ in range(3):
        y, x = rng.integers(0, h - 12), rng.integers(0, w - 12)
        img[y : y + 12, x : x + 12] = rng.random(3)
    return img


def make_tiny_pairs(folder: Path, n: int = 6, h: int = 48, w: int = 64, seed: int = 0) -> Path:
    rng = np.random.default_rng(seed)
    for i in range(n):
        d = folder / f"{i:05d}"
        d.mkdir(parents=True)
        ref = _scene(rng, h, w)
        tgt = ref.copy()
        mask = np.zeros((h, w))
        y, x = rng.integers(0, h - 16), rng.integers(0, w - 16)
        tgt[y : y + 16, x : x + 16] = (0.9, 0.2, 0.1)
        mask[y : y + 16, x : x + 16] = 1.0
        for name, arr in (("reference", ref), ("target", tgt)):
            Image.fromarray((arr * 255).astype(np.uint8), "RGB").save(d / f"{name}.png")
        Image.fromarray((mask * 255).astype(np.uint8), "L").save(d / "mask.png")
        Image.fromarray((tgt.mean(axis=2) * 128).astype(np.uint8), "L").save(d / "night.png")
    return folder


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_tiny_pairs(tmp_path_factory.mktemp("pairs") / "set")


def test_sampler_shapes_and_determinism(tiny: Path) -> None:
    s = PairSampler(tiny, 32, TrainConfig())
    assert len(s) == 6
    a = s.batch(np.random.default_rng(3), 4)
    b = s.batch(np.random.default_rng(3), 4)
    assert [t.shape for t in a] == [(4, 1, 32, 32), (4, 3, 32, 32), (4, 3, 32, 32), (4, 1, 32, 32)]
    for x, y in zip(a, b, strict=True):
        assert torch.equal(x, y)
    # the night frame is re-simulated on every draw (not the stored night.png)
    c = s.batch(np.random.default_rng(4), 4)
    assert not torch.equal(a[0], c[0])
    assert float(a[0].max()) <= 1 and float(a[0].min()) >= 0


def test_colorfulness_twin_matches_metric() -> None:
    rng = np.random.default_rng(0)
    img = rng.random((20, 30, 3)).astype(np.float32)
    t = torch.from_numpy(img).permute(2, 0, 1)[None]
    assert abs(float(colorfulness_t(t)[0]) - colorfulness(img)) < 1e-2


def test_short_run_lowers_loss(tiny: Path, tmp_path: Path) -> None:
    cfg = TrainConfig(
        steps=60, batch=8, lr=1e-2, warmup=5, seed=1, ckpt_every=1000, log_every=10, net_crop=24
    )
    sampler = PairSampler(tiny, SMALL.size, cfg)
    batch = sampler.batch(np.random.default_rng(123), 16)

    def held_loss(model: ColorNet) -> float:
        model.eval()
        night, ref, tgt, mask = batch
        with torch.no_grad():
            x = make_inputs(night, ref, SMALL.size)
            return float(loss_terms(model(*x), tgt, mask, cfg)[0])

    torch.manual_seed(cfg.seed)
    before = held_loss(ColorNet(SMALL))
    out = tmp_path / "w.pt"
    final = train(tiny, out, cfg, SMALL)
    assert out.is_file() and final["step"] == 60 and final["meta"]["finished"]
    model = ColorNet(SMALL)
    model.load_state_dict(load_checkpoint(out)["model"])
    after = held_loss(model)
    assert after < 0.7 * before, (before, after)
    hist = final["history"]
    assert hist[-1]["loss"] < hist[0]["loss"]


def test_resume_is_exact(tiny: Path, tmp_path: Path) -> None:
    cfg = TrainConfig(steps=6, batch=4, warmup=2, seed=2, ckpt_every=3)
    full = train(tiny, tmp_path / "full.pt", cfg, SMALL)
    part = tmp_path / "part.pt"
    first = train(tiny, part, cfg, SMALL, stop_after=3)
    assert first["step"] == 3 and not first["meta"]["finished"]
    resumed = train(tiny, part, TrainConfig(), None, resume=True)
    assert resumed["step"] == 6
    for k, v in full["model"].items():
        assert torch.equal(v, resumed["model"][k]), k


def test_checkpoint_errors(tmp_path: Path) -> None:
    with pytest.raises(CribwatchError):
        load_checkpoint(tmp_path / "missing.pt")
    bad = tmp_path / "bad.pt"
    bad.write_bytes(b"not a checkpoint")
    with pytest.raises(CribwatchError):
        load_checkpoint(bad)
    other = tmp_path / "other.pt"
    torch.save({"format": "something-else"}, other)
    with pytest.raises(CribwatchError):
        load_checkpoint(other)


_RANK_SCRIPT = """
import sys, torch
from pathlib import Path
from cribwatch.color.model import ColorNetConfig
from cribwatch.color.train import TrainConfig, train
cfg = ColorNetConfig(size=32, widths=(8, 16, 16, 24), ref_widths=(8, 8, 16, 16),
                     bottleneck_blocks=1)
final = train(Path(sys.argv[1]), Path(sys.argv[2]), TrainConfig(steps=4, batch=2, warmup=1, seed=5),
              cfg)
torch.save(final["model"], sys.argv[3])
"""


def test_ddp_two_ranks_identical_weights(tiny: Path, tmp_path: Path) -> None:
    w0, w1 = run_two_ranks(_RANK_SCRIPT, tiny, tmp_path)
    for k in w0:
        assert torch.equal(w0[k], w1[k]), k
    ckpt = load_checkpoint(tmp_path / "ddp.pt")
    assert ckpt["meta"]["world_size"] == 2 and ckpt["step"] == 4 and len(ckpt["rng"]) == 2
    # training happened: weights moved from the seeded initialisation
    torch.manual_seed(5)
    init = ColorNet(SMALL).state_dict()
    assert any(not torch.equal(init[k], w0[k]) for k in w0 if w0[k].is_floating_point())


def test_gate_and_own_terms_act_only_on_changed_pixels() -> None:
    torch.manual_seed(0)
    tgt = torch.rand(2, 3, 16, 16)
    pred = torch.zeros(2, 2, 16, 16)
    mask = torch.zeros(2, 1, 16, 16)
    mask[..., 4:8, 4:8] = 1.0
    cfg = TrainConfig(cf_weight=0.0, gate_weight=1.0, own_weight=1.0)
    shut = torch.zeros(2, 1, 16, 16)
    base, parts = loss_terms(pred, tgt, mask, cfg, own_ab=pred, gate=shut)
    assert parts["gate"] == 0.0 and parts["own"] > 0
    open_outside = shut.clone()
    open_outside[..., 10:, 10:] = 0.9  # open where nothing changed: no gate penalty
    assert loss_terms(pred, tgt, mask, cfg, own_ab=pred, gate=open_outside)[1]["gate"] == 0.0
    open_inside = shut.clone()
    open_inside[..., 4:8, 4:8] = 0.9
    assert float(loss_terms(pred, tgt, mask, cfg, own_ab=pred, gate=open_inside)[0]) > float(base)
    own_bad_outside = pred.clone()
    own_bad_outside[..., 10:, 10:] = 0.8  # own ab is only scored on changed pixels
    assert (
        loss_terms(pred, tgt, mask, cfg, own_ab=own_bad_outside, gate=shut)[1]["own"]
        == (parts["own"])
    )


def test_gate_term_asks_for_an_open_gate_where_the_map_allows() -> None:
    tgt = torch.rand(1, 3, 8, 8)
    pred = torch.zeros(1, 2, 8, 8)
    mask = torch.zeros(1, 1, 8, 8)
    mask[..., :4, :] = 1.0
    cfg = TrainConfig(cf_weight=0.0, gate_weight=1.0)
    gate = torch.full((1, 1, 8, 8), 0.5)
    gate[..., :4, :] = 0.0  # shut where changed
    may_open = torch.zeros(1, 1, 8, 8)
    assert loss_terms(pred, tgt, mask, cfg, gate=gate, gate_may_open=may_open)[1]["gate"] == 0.0
    may_open[..., 4:, :] = 1.0
    half = loss_terms(pred, tgt, mask, cfg, gate=gate, gate_may_open=may_open)[1]["gate"]
    gate[..., 4:, :] = 1.0
    full = loss_terms(pred, tgt, mask, cfg, gate=gate, gate_may_open=may_open)[1]["gate"]
    assert half > 0.5 and full == pytest.approx(0.0, abs=1e-3)


def test_distillation_from_a_teacher(tiny: Path, tmp_path: Path) -> None:
    """A slim student (stride-2 stem) distils a teacher: the term is logged, the teacher is
    recorded in the checkpoint, a resumed run reuses it, and no teacher is refused."""
    from dataclasses import replace

    teacher = tmp_path / "teacher.pt"
    train(tiny, teacher, TrainConfig(steps=2, batch=2, warmup=1, seed=3), SMALL)
    student_cfg = replace(SMALL, widths=(8, 8, 16, 16), stem_stride=2)
    cfg = TrainConfig(steps=4, batch=2, warmup=1, seed=3, distil_weight=1.0, log_every=1)
    part = tmp_path / "student.pt"
    first = train(tiny, part, cfg, student_cfg, teacher=teacher, stop_after=2)
    assert first["meta"]["teacher"] == str(teacher)
    assert all("distil" in h for h in first["history"])
    resumed = train(tiny, part, TrainConfig(), None, resume=True)
    assert resumed["step"] == 4 and "distil" in resumed["history"][-1]
    with pytest.raises(CribwatchError, match="teacher"):
        train(tiny, tmp_path / "x.pt", cfg, student_cfg)
    bad = replace(SMALL, size=48)
    with pytest.raises(CribwatchError, match="teacher"):
        train(tiny, tmp_path / "y.pt", cfg, bad, teacher=teacher)


def test_change_terms_mute_the_changed_target_and_hold_static_pixels() -> None:
    """Issue 26 fine-tune terms: a grey prediction costs nothing on changed pixels when the
    target there is muted to grey; static distillation and the shut-gate term each see only
    their own pixels."""
    torch.manual_seed(1)
    tgt = torch.rand(1, 3, 8, 8)
    mask = torch.zeros(1, 1, 8, 8)
    mask[..., :4, :] = 1.0
    cfg = TrainConfig(cf_weight=0.0, changed_weight=1.0)
    from cribwatch.color.lab import AB_SCALE, rgb_to_lab_t

    gt_ab = rgb_to_lab_t(tgt)[:, 1:] / AB_SCALE
    grey_in_changed = gt_ab * (1.0 - mask)
    assert float(loss_terms(grey_in_changed, tgt, mask, cfg, changed_chroma=0.0)[0]) < 1e-6
    assert float(loss_terms(grey_in_changed, tgt, mask, cfg)[0]) > 0.01
    t_pred, t_gate = gt_ab.clone(), torch.full((1, 1, 8, 8), 0.9)
    off_in_changed = t_pred.clone()
    off_in_changed[..., :4, :] += 0.5
    gate = t_gate.clone()
    gate[..., :4, :] = 0.0
    change = ChangeConfig(static_distil=1.0, gate_close=1.0)
    _, parts = change_terms(off_in_changed, gate, mask, change, t_pred, t_gate, 0.05)
    assert parts["static_distil"] == 0.0 and parts["gate_close"] == 0.0
    gate[..., :4, :] = 0.9
    off_in_static = t_pred.clone()
    off_in_static[..., 4:, :] += 0.5
    _, parts = change_terms(off_in_static, gate, mask, change, t_pred, t_gate, 0.05)
    assert parts["static_distil"] > 0.4 and parts["gate_close"] > 1.0


def test_fine_tune_from_init_weights(tiny: Path, tmp_path: Path) -> None:
    """``init`` starts from trained weights (not a fresh initialisation); the change terms are
    logged and recorded; a resumed run keeps them; another architecture is refused."""
    from dataclasses import replace

    base = tmp_path / "base.pt"
    done = train(tiny, base, TrainConfig(steps=2, batch=2, warmup=1, seed=3), SMALL)
    change = ChangeConfig(changed_chroma=0.5, static_distil=1.0, gate_close=0.5)
    cfg = TrainConfig(steps=3, batch=2, warmup=1, seed=4, lr=1e-9, log_every=1)
    part = tmp_path / "ft.pt"
    first = train(tiny, part, cfg, SMALL, teacher=base, init=base, change=change, stop_after=1)
    assert first["meta"]["change"]["changed_chroma"] == 0.5 and first["meta"]["init"] == str(base)
    assert {"static_distil", "gate_close"} <= set(first["history"][-1])
    w0, w1 = done["model"], first["model"]
    conv = [k for k in w0 if k.endswith("weight") and w0[k].ndim == 4]
    assert all(torch.allclose(w0[k], w1[k], atol=1e-6) for k in conv)  # lr ~0: init kept
    resumed = train(tiny, part, TrainConfig(), None, resume=True)
    assert resumed["step"] == 3 and "gate_close" in resumed["history"][-1]
    with pytest.raises(CribwatchError, match="architecture"):
        train(tiny, tmp_path / "z.pt", cfg, replace(SMALL, widths=(8, 8, 16, 16)), init=base)
    with pytest.raises(CribwatchError, match="teacher"):
        train(tiny, tmp_path / "w.pt", cfg, SMALL, change=ChangeConfig(static_distil=1.0))


def test_fine_tune_with_change_evidence(tiny: Path, tmp_path: Path) -> None:
    """``evidence`` feeds the network the SSIM map fused with the change probability; the
    classifier is saved in the checkpoint and a resumed run reuses it."""
    from cribwatch.color.evidence import FEATURES, Logistic
    from cribwatch.color.model import evidence_inputs

    k = 2 * len(FEATURES)
    ev = Logistic((0.0,) * k, (1.0,) * k, (0.0,) * k, -2.0)  # p = sigmoid(-2) everywhere
    night = torch.rand(2, 1, 48, 64)
    ref = torch.rand(2, 3, 48, 64)
    _, _, smap = make_inputs(night, ref, 32)
    assert smap is not None
    p, fused = evidence_inputs(night, ref, smap, ev, 32)
    assert p.shape == smap.shape == fused.shape
    assert torch.allclose(p, torch.full_like(p, 1 / (1 + np.exp(2.0))), atol=1e-6)
    assert torch.allclose(fused, smap * (1 - p))
    part = tmp_path / "ev.pt"
    cfg = TrainConfig(steps=2, batch=2, warmup=1, seed=5, log_every=1)
    first = train(tiny, part, cfg, SMALL, evidence=ev, stop_after=1)
    assert first["meta"]["evidence"]["intercept"] == -2.0
    resumed = train(tiny, part, TrainConfig(), None, resume=True)
    assert resumed["step"] == 2 and resumed["meta"]["evidence"] == first["meta"]["evidence"]
