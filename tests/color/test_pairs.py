import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from cribwatch.color.pairs import PairConfig, load_pair_set, make_pairs, split_of
from cribwatch.errors import CribwatchError


def _bytes(folder: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()
    }


def test_layout(pair_set: Path) -> None:
    man = json.loads((pair_set / "manifest.json").read_text())
    assert man["format"] == "cribwatch-pairs" and man["version"] == 1 and man["n"] == 6
    pairs = load_pair_set(pair_set)
    assert len(pairs) == 6
    for p in pairs:
        assert p.target is not None and p.mask is not None
        ref = np.asarray(Image.open(p.reference))
        night = np.asarray(Image.open(p.night))
        mask = np.asarray(Image.open(p.mask))
        assert ref.shape == (96, 128, 3) and night.shape == (96, 128) and mask.shape == (96, 128)
        assert set(np.unique(mask)) <= {0, 255} and (mask == 255).mean() >= 0.02
        assert p.meta["edits"] and "night" in p.meta


def test_same_seed_same_bytes(tmp_path: Path, scene_dir: Path, stamp_dir: Path) -> None:
    cfg = PairConfig(height=48, width=64)
    a = make_pairs(scene_dir, stamp_dir, tmp_path / "a", 3, seed=9, split="all", cfg=cfg)
    b = make_pairs(scene_dir, stamp_dir, tmp_path / "b", 3, seed=9, split="all", cfg=cfg)
    c = make_pairs(scene_dir, stamp_dir, tmp_path / "c", 3, seed=10, split="all", cfg=cfg)
    ba, bb = _bytes(a), _bytes(b)
    ba.pop("manifest.json"), bb.pop("manifest.json")
    assert ba == bb
    assert _bytes(c)["00000/target.png"] != ba["00000/target.png"]


def test_splits_disjoint_by_name() -> None:
    names = [f"scene{i}.jpg" for i in range(200)]
    test = {n for n in names if split_of(n, 0.2) == "test"}
    assert 20 < len(test) < 60
    assert all(split_of(n, 0.2) == ("test" if n in test else "train") for n in names)


def test_refuses_existing_and_empty(tmp_path: Path, scene_dir: Path, stamp_dir: Path) -> None:
    out = tmp_path / "x"
    out.mkdir()
    (out / "keep.txt").write_text("x")
    with pytest.raises(CribwatchError, match="not empty"):
        make_pairs(scene_dir, stamp_dir, out, 1, 0, split="all")
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(CribwatchError, match="no scene images"):
        make_pairs(empty, stamp_dir, tmp_path / "y", 1, 0)
    assert not (tmp_path / "y").exists()
    with pytest.raises(CribwatchError, match="no pairs"):
        load_pair_set(empty)


def test_own_set_replaced_whole(tmp_path: Path, scene_dir: Path, stamp_dir: Path) -> None:
    """An earlier set is replaced without --force, as a whole (no stale pairs stay)."""
    cfg = PairConfig(height=48, width=64)
    out = tmp_path / "set"
    make_pairs(scene_dir, stamp_dir, out, 3, seed=9, split="all", cfg=cfg)
    make_pairs(scene_dir, stamp_dir, out, 1, seed=9, split="all", cfg=cfg)
    assert [p.id for p in load_pair_set(out)] == ["00000"]
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".set.")]
    with pytest.raises(CribwatchError, match="current folder"):
        make_pairs(scene_dir, stamp_dir, Path("."), 1, seed=9, split="all", cfg=cfg)


def test_room_budget_and_alignment_frame(tmp_path: Path, scene_dir: Path, stamp_dir: Path) -> None:
    """--min-structure, --max-changed and --align-frames: the budget holds on every pair, the
    alignment frame is the mean of K noisy night frames (less noise, same scene), and the
    default set's bytes do not change with the options off."""
    from cribwatch.color.pairs import scene_structure

    base = PairConfig(height=48, width=64)
    a = make_pairs(scene_dir, stamp_dir, tmp_path / "a", 3, seed=9, split="all", cfg=base)
    cfg = PairConfig(height=48, width=64, max_changed=0.3, min_structure=0.01, align_frames=4)
    b = make_pairs(scene_dir, stamp_dir, tmp_path / "b", 3, seed=9, split="all", cfg=cfg)
    for p in load_pair_set(b):
        assert p.meta["changed_fraction"] <= 0.3 and p.meta["align_frames"] == 4
        assert p.align is not None
        ref = np.asarray(Image.open(p.reference), np.float32) / 255
        assert scene_structure(ref) >= 0.01
        night = np.asarray(Image.open(p.night), np.float32)
        mean = np.asarray(Image.open(p.align), np.float32)
        assert abs(float(night.mean() - mean.mean())) < 4.0  # same view, same exposure
        # fresh noise averaged: the alignment frame is smoother than the night frame
        assert np.abs(np.diff(mean, axis=1)).mean() < np.abs(np.diff(night, axis=1)).mean()
    assert all(p.align is None for p in load_pair_set(a))
    c = make_pairs(scene_dir, stamp_dir, tmp_path / "c", 3, seed=9, split="all", cfg=base)
    ba, bc = _bytes(a), _bytes(c)
    ba.pop("manifest.json"), bc.pop("manifest.json")
    assert ba == bc


@pytest.mark.parametrize(
    "kw",
    [{"max_changed": 0.0}, {"max_changed": 0.01}, {"min_structure": -0.1}, {"align_frames": 0},
     {"align_frames": 65}],
)  # fmt: skip
def test_budget_bounds(kw: dict[str, float]) -> None:
    with pytest.raises(CribwatchError, match=next(iter(kw))):
        PairConfig(**kw)  # type: ignore[arg-type]


def test_budget_from_mapping_bounds() -> None:
    from cribwatch.cards import from_mapping

    with pytest.raises(CribwatchError, match="align_frames"):
        from_mapping(PairConfig, {"align_frames": 100}, "cfg")
    assert from_mapping(PairConfig, {"max_changed": 0.3}, "cfg").max_changed == 0.3
