"""Cross-modal alignment (color/align.py), the reference bank and ``--ref-warp`` pairs."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from cribwatch.color.align import (
    AlignConfig,
    Alignment,
    align,
    align_keep,
    align_or_refuse,
    fill_guided,
    fill_uncovered,
    photometric_fit,
    registration_error,
)
from cribwatch.color.api import Colorizer
from cribwatch.color.bank import ReferenceBank
from cribwatch.color.pairs import PairConfig, generate_pair
from cribwatch.errors import CribwatchError

CFG = replace(PairConfig(height=120, width=160), p_shift=0.0)


def _pair(scene_dir: Path, seed: int, warp: str = "camera") -> tuple[dict, dict]:  # type: ignore[type-arg]
    scenes = sorted(scene_dir.iterdir())
    return generate_pair(scenes, [], seed, 0, CFG, "train", warp)  # type: ignore[arg-type]


def test_identity_and_camera_pairs_share_night_target_and_mask(scene_dir: Path) -> None:
    a, ma = _pair(scene_dir, 1, "identity")
    b, mb = _pair(scene_dir, 1, "camera")
    for k in ("night", "target", "mask"):
        assert np.array_equal(a[k], b[k])
    assert ma["ref_warp"]["zoom"] == 1.0 and mb["ref_warp"]["zoom"] != 1.0
    # the recorded map takes the warped reference back onto the unwarped one
    m = np.vstack([np.asarray(mb["ref_warp"]["night_to_reference"]), [0, 0, 1]])
    back = Alignment(m, 1.0, 1.0, (120, 160), (120, 160)).warp(b["reference"])
    inner = (slice(20, -20), slice(20, -20))
    assert np.abs(back - a["reference"])[inner].mean() < 0.02
    assert np.abs(b["reference"] - a["reference"])[inner].mean() > 0.04


@pytest.mark.parametrize("seed", [0, 1])
def test_known_warp_recovered_within_one_pixel(scene_dir: Path, seed: int) -> None:
    imgs, meta = _pair(scene_dir, seed)
    res = align(imgs["night"], imgs["reference"])
    truth = np.asarray(meta["ref_warp"]["night_to_reference"])
    assert res.ok, res.reasons
    assert registration_error(res.matrix, truth, imgs["night"].shape) < 1.0
    d = res.to_dict()
    assert d["ok"] and abs(d["zoom"] * meta["ref_warp"]["zoom"] - 1.0) < 0.02  # inverse maps


def test_wrong_scene_reference_refused(scene_dir: Path) -> None:
    night = _pair(scene_dir, 0)[0]["night"]  # coffee
    other = _pair(scene_dir, 1)[0]["reference"]  # chelsea
    with pytest.raises(CribwatchError) as err:
        align_or_refuse(night, other, name="--reference day.png")
    msg = str(err.value)
    assert "\n" not in msg and "--reference day.png" in msg and "does not match" in msg


def test_colorizer_align_and_bank(scene_dir: Path) -> None:
    imgs, _ = _pair(scene_dir, 0)
    ident, _ = _pair(scene_dir, 0, "identity")
    col = Colorizer(imgs["reference"], align=True)
    out = col.colorize(imgs["night"])
    assert col.alignment is not None and col.alignment.ok
    want = Colorizer(ident["reference"]).colorize(imgs["night"])
    plain = Colorizer(imgs["reference"]).colorize(imgs["night"])
    assert np.abs(out - want).mean() < 0.5 * np.abs(plain - want).mean()
    # strict: a reference of another scene is refused; not strict: used as it is
    other = _pair(scene_dir, 1)[0]["reference"]
    with pytest.raises(CribwatchError):
        Colorizer(other, align=True).colorize(imgs["night"])
    loose = Colorizer(other, align=True, strict=False)
    loose.colorize(imgs["night"])
    assert loose.alignment is not None and not loose.alignment.ok
    # the bank picks the matching reference, and a refresh makes the colorizer choose again
    bank = ReferenceBank(per_view=2)
    bank.add(other, view="a")
    bank.add(imgs["reference"], view="a")
    choice = bank.best(imgs["night"])
    assert choice is not None and choice.index == 1
    banked = Colorizer(other, bank=bank)
    # the same reference, aligned again (OpenCV threads may move a grey level)
    assert np.abs(banked.colorize(imgs["night"]) - out).max() <= 2.5 / 255
    bank.add(other, view="a")  # the oldest of view "a" goes
    assert len(bank) == 2 and bank.version == 3
    banked.colorize(imgs["night"])
    assert banked.alignment is not None and banked.alignment.ok
    with pytest.raises(CribwatchError):
        ReferenceBank().best(imgs["night"])


def test_colorizer_realigns_when_the_view_moves(scene_dir: Path) -> None:
    import cv2

    imgs, _ = _pair(scene_dir, 0)
    night = imgs["night"]
    col = Colorizer(imgs["reference"], align=True, recheck_every=1)
    for _ in range(3):
        col.colorize(night)
    assert col.realigned == 1  # the warp is kept while the view holds
    bumped = cv2.warpAffine(
        night, np.float32([[1, 0, 16], [0, 1, 10]]), (160, 120), borderMode=cv2.BORDER_REFLECT_101
    )
    col.colorize(bumped)
    assert col.realigned == 2 and col.alignment is not None and col.alignment.ok
    with pytest.raises(CribwatchError):
        Colorizer(imgs["reference"], recheck_every=-1)
    with pytest.raises(CribwatchError):
        Colorizer(imgs["reference"], fill_every=0)


def test_colorizer_fills_uncovered_pixels_and_reuses_the_fill(scene_dir: Path) -> None:
    imgs, _ = _pair(scene_dir, 0)
    night = imgs["night"]
    every = Colorizer(imgs["reference"], align=True, fill_every=1)
    cached = Colorizer(imgs["reference"], align=True, fill_every=3)
    first = cached.colorize(night)
    assert np.abs(every.colorize(night) - first).max() <= 2.5 / 255
    assert cached.alignment is not None and not cached.alignment.covered().all()
    # the same frame again: the cached fill gives the same output
    assert np.array_equal(cached.colorize(night), first)


def test_photometric_fit_tells_the_right_reference(scene_dir: Path) -> None:
    imgs, meta = _pair(scene_dir, 0)
    truth = np.vstack([np.asarray(meta["ref_warp"]["night_to_reference"]), [0, 0, 1]])
    assert photometric_fit(imgs["night"], imgs["reference"], truth) > 0.9
    other = _pair(scene_dir, 2)[0]["reference"]  # another photo
    assert photometric_fit(imgs["night"], other, truth) < 0.5


def test_uncovered_pixels_are_coloured_from_similar_pixels_nearby() -> None:
    import cv2

    h, w = 60, 80
    truth = np.zeros((h, w, 3), np.float32)
    truth[:, :40] = (0.15, 0.25, 0.7)  # dark blue left
    truth[:, 40:] = (0.95, 0.65, 0.25)  # bright orange right
    night = truth.mean(axis=2)
    covered = np.zeros((h, w), bool)
    covered[15:45, 10:70] = True  # the warped reference's footprint
    lab_t = cv2.cvtColor(truth, cv2.COLOR_RGB2Lab)
    lab_o = lab_t.copy()
    lab_o[~covered, 1:] = 0.0  # the scene's lightness, no colour outside the footprint
    out = np.clip(cv2.cvtColor(lab_o, cv2.COLOR_Lab2RGB), 0, 1)
    for fill in (fill_uncovered(out, covered), fill_guided(out, covered, night)):
        assert np.array_equal(fill[covered], out[covered])  # covered pixels untouched
        lab_f = cv2.cvtColor(fill, cv2.COLOR_RGB2Lab)
        assert np.abs(lab_f[..., 0] - lab_o[..., 0]).max() < 3.0  # lightness kept (gamut clip)
        err = np.hypot(*(lab_f[..., 1:] - lab_t[..., 1:]).transpose(2, 0, 1))
        # away from the colour edge, the fill has the scene's colour
        assert np.median(err[~covered]) < 3.0 and err[~covered][:, None].mean() < 15.0
    assert np.array_equal(fill_guided(out, np.ones((h, w), bool), night), out)


def test_colorize_file_with_align(scene_dir: Path, tmp_path: Path) -> None:
    from cribwatch.color.api import colorize_file
    from cribwatch.io import read_rgb, write_image

    imgs, _ = _pair(scene_dir, 0)
    write_image(tmp_path / "n.png", imgs["night"])
    write_image(tmp_path / "r.png", imgs["reference"])
    info = colorize_file(tmp_path / "n.png", tmp_path / "r.png", tmp_path / "c.png", align=True)
    assert info["align"]["ok"] and read_rgb(tmp_path / "c.png").shape == (120, 160, 3)


def test_align_keep_holds_the_prior_unless_clearly_better(scene_dir: Path) -> None:
    imgs, meta = _pair(scene_dir, 0)
    ident, _ = _pair(scene_dir, 0, "identity")
    night = imgs["night"]
    # already aligned (the camera has not moved): the identity prior is kept exactly
    kept = align_keep(night, ident["reference"], np.eye(3))
    assert kept.ok and np.allclose(kept.matrix, np.eye(3))
    # a stale prior (the view moved): the new estimate is clearly better and replaces it
    truth = np.asarray(meta["ref_warp"]["night_to_reference"])
    moved = align_keep(night, imgs["reference"], np.eye(3))
    assert moved.ok and registration_error(moved.matrix, truth, night.shape) < 1.0


def test_preset_homography_recovers_a_perspective_view(scene_dir: Path) -> None:
    import cv2

    from cribwatch.io import read_rgb

    day = cv2.resize(read_rgb(scene_dir / "coffee.png"), (320, 240), interpolation=cv2.INTER_AREA)
    # night -> reference: a strong perspective change (another preset), far beyond the
    # structure search's affine range
    h = np.array([[0.86, -0.22, 40.0], [0.12, 0.92, -8.0], [4.5e-4, -3.0e-4, 1.0]])
    ref = cv2.warpPerspective(day, h, (320, 240), flags=cv2.INTER_LINEAR)
    night = day @ np.array([0.299, 0.587, 0.114], np.float32)
    res = align(night, ref)
    assert res.ok and res.inliers > 0, res.reasons  # the preset candidate won
    assert registration_error(res.matrix, h, night.shape) < 2.0
    off = align(night, ref, replace(AlignConfig(), preset_features=0))
    assert not off.ok  # without the preset candidate the view is refused


def test_bank_keeps_a_reference_warp_across_refreshes(scene_dir: Path) -> None:
    imgs, _ = _pair(scene_dir, 0)
    bank = ReferenceBank(per_view=3)
    bank.add(imgs["reference"], view="a")
    first = bank.best(imgs["night"])
    assert first is not None and first.alignment.ok
    rng = np.random.default_rng(0)
    later = np.clip(imgs["night"] + rng.normal(0, 0.01, imgs["night"].shape), 0, 1)
    bank.add(_pair(scene_dir, 1)[0]["reference"], view="a")  # a refresh
    again = bank.best(later.astype(np.float32))
    assert again is not None and again.index == 0
    assert np.array_equal(again.alignment.matrix, first.alignment.matrix)  # the warp held
    fresh = bank.best(later.astype(np.float32), keep=False)
    assert fresh is not None and fresh.index == 0 and fresh.alignment.ok


def test_colorizer_aligns_again_on_the_mean_of_its_first_frames(scene_dir: Path) -> None:
    """``align_frames``: the first frame's estimate is provisional (no refusal raised), the
    mean of the first K frames decides once (a wrong scene is refused there), and the warp is
    kept afterwards; the pair generator's alignment frame is that mean."""
    from cribwatch.sim.night import NightParams, render_night

    cfg = replace(CFG, align_frames=4)
    scenes = sorted(scene_dir.iterdir())
    imgs, meta = generate_pair(scenes, [], 0, 0, cfg, "train", "camera")  # type: ignore[arg-type]
    prm = NightParams(**meta["night"])
    frames = [imgs["night"]] + [
        render_night(imgs["target"], prm, np.random.default_rng([0, 0, 2, 1000 + k]))
        for k in range(1, 4)
    ]
    assert np.allclose(np.mean(frames, axis=0), imgs["align"], atol=1e-5)
    truth = np.asarray(meta["ref_warp"]["night_to_reference"])
    col = Colorizer(imgs["reference"], align=True, align_frames=4)
    for f in frames:
        col.colorize(f)
    assert col.realigned == 1 and col.alignment is not None and col.alignment.ok
    assert registration_error(col.alignment.matrix, truth, imgs["night"].shape) < 1.0
    direct = align(imgs["align"], imgs["reference"])
    assert np.allclose(col.alignment.matrix, direct.matrix, atol=0.05)
    col.colorize(frames[0])
    assert np.array_equal(col.alignment.matrix, direct.matrix) or np.allclose(
        col.alignment.matrix, direct.matrix, atol=0.05
    )
    other = _pair(scene_dir, 1)[0]["reference"]
    wrong = Colorizer(other, align=True, align_frames=3)
    wrong.colorize(frames[0])  # provisional: no refusal yet
    wrong.colorize(frames[1])
    with pytest.raises(CribwatchError, match="does not match"):
        wrong.colorize(frames[2])
    short = Colorizer(other, align=True, align_frames=8)
    short.colorize(frames[0])
    short.colorize(frames[1])
    with pytest.raises(CribwatchError, match="does not match"):
        short.settle()  # a stream that ends early: the mean so far decides
    for bad in (0, 65):
        with pytest.raises(CribwatchError, match="align_frames"):
            Colorizer(imgs["reference"], align_frames=bad)
