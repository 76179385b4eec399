"""The colour front desk: Colorizer, the shipped ONNX twin, safe model loading, cards, golden."""

from __future__ import annotations

import json
import os
import pickle
import subprocess
import sys
from importlib import resources
from pathlib import Path

import numpy as np
import pytest

from cribwatch.cards import read_card
from cribwatch.color.api import (
    BASELINE_METHODS,
    LEARNED_METHODS,
    WEIGHTS,
    Colorizer,
    check_image_size,
    default_onnx,
    default_weights,
    model_card,
)
from cribwatch.color.metrics import psnr
from cribwatch.errors import CribwatchError
from cribwatch.io import read_gray, read_rgb

SAMPLE = Path(str(resources.files("cribwatch.demo") / "samples" / "color" / "00000"))


def _pair() -> tuple[np.ndarray, np.ndarray]:
    return read_gray(SAMPLE / "night.png"), read_rgb(SAMPLE / "reference.png")


def test_method_names_match_the_libraries() -> None:
    from cribwatch.color import pipeline, transfer

    assert tuple(transfer.BASELINES) == BASELINE_METHODS
    assert pipeline.LEARNED_METHODS == LEARNED_METHODS
    assert set(pipeline.VARIANTS) >= {"guided", "bilinear"}


def test_default_colorizer_is_the_onnx_twin_of_the_shipped_weights() -> None:
    from cribwatch.color.pipeline import learned_method

    night, ref = _pair()
    col = Colorizer(ref)
    assert col.backend == "onnx"
    got = col.colorize(night)
    assert got.shape == (*night.shape, 3) and got.dtype == np.float32
    want = learned_method("ssim-guided")(night, ref)
    assert psnr(got, want) > 40.0  # the runtime test's tolerance against the torch pipeline
    # the reference is held: a second frame of another size reuses it, resized
    assert col(night[:120, :160]).shape == (120, 160, 3)
    # uint8 frames in, the same result
    n8 = np.round(night * 255).astype(np.uint8)
    assert np.abs(col.colorize(n8) - got).max() < 1e-6


def test_shipped_outputs_unchanged_by_safe_loading() -> None:
    """Same output as before weights_only=True (numbers from the pickle-loading version;
    ``auto``'s from when it became ``auto@pad``, issue 26: the method as users get it)."""
    from cribwatch.color.eval import resolve_method

    night, ref = _pair()
    before = {
        "ssim-guided": ([0.605987, 0.319741, 0.186143], [0.109261, 0.073388, 0.106749]),
        "ref": ([0.603642, 0.321076, 0.192667], [0.109778, 0.072623, 0.103989]),
        "auto": ([0.426411, 0.39921, 0.34982], [0.093744, 0.042958, 0.114678]),
    }
    for method, (mean, std) in before.items():
        y = resolve_method(method)(night, ref)
        assert np.allclose(y.mean(axis=(0, 1)), mean, atol=2e-6), method
        assert np.allclose(y.std(axis=(0, 1)), std, atol=2e-6), method


def test_onnx_twin_matches_its_weights() -> None:
    from cribwatch.color.deploy import parity

    assert parity(default_weights("ssim-guided"), default_onnx(), SAMPLE.parent, limit=1) < 1e-4


def test_cards_on_the_one_schema() -> None:
    import hashlib

    for method, name in WEIGHTS.items():
        card = model_card(method)
        assert card["capability"] == "color" and card["weights"] == name
        assert {"architecture", "training", "licences"} <= set(card)
        assert "network" not in card and "train_config" not in card
        digest = hashlib.sha256(default_weights(method).read_bytes()).hexdigest()
        assert card["sha256"][name] == digest
    twin = model_card("ssim-guided")["sha256"]["color_ssim_guided_slim.onnx"]
    assert twin == hashlib.sha256(default_onnx().read_bytes()).hexdigest()


class _Evil:
    def __init__(self, marker: str) -> None:
        self.marker = marker

    def __reduce__(self):  # type: ignore[no-untyped-def]
        return (os.system, (f"touch {self.marker}",))


def test_malicious_pickle_never_runs(tmp_path: Path) -> None:
    from cribwatch.color.checkpoint import load_checkpoint
    from cribwatch.color.pipeline import load_net

    marker = tmp_path / "PWNED"
    evil = tmp_path / "evil.pt"
    with open(evil, "wb") as fh:
        pickle.dump({"format": "cribwatch-colornet", "x": _Evil(str(marker))}, fh)
    for load in (load_checkpoint, load_net):
        with pytest.raises(CribwatchError, match="evil.pt") as err:
            load(evil)
        assert "\n" not in str(err.value)
    assert not marker.exists()
    with pytest.raises(CribwatchError, match="evil.pt"):
        Colorizer(_pair()[1], "ssim-guided", evil)
    assert not marker.exists()


def test_small_images_named(tmp_path: Path) -> None:
    with pytest.raises(CribwatchError, match="x.png: image of 2000x1 pixels.*minimum 16x16"):
        check_image_size(tmp_path / "x.png", 1, 2000)
    check_image_size(tmp_path / "ok.png", 16, 200)


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "cribwatch.cli", *args], capture_output=True, text=True
    )


def test_colorize_never_imports_torch(tmp_path: Path) -> None:
    out = tmp_path / "c.png"
    code = (
        "import sys\n"
        "from cribwatch.cli import main\n"
        f"sys.argv = ['cribwatch', 'color', 'colorize', '--night', {str(SAMPLE / 'night.png')!r},"
        f" '--reference', {str(SAMPLE / 'reference.png')!r}, '--out', {str(out)!r}]\n"
        "try:\n    main()\nexcept SystemExit as e:\n    assert not e.code, e.code\n"
        "print('torch' in sys.modules, 'kornia' in sys.modules)\n"
    )
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert res.returncode == 0, res.stderr
    lines = res.stdout.strip().splitlines()
    assert json.loads(lines[0])["backend"] == "onnx"
    assert lines[-1] == "False False"
    assert read_rgb(out).shape == (240, 320, 3)


def _run_here(*args: str) -> subprocess.CompletedProcess[str]:
    """``cribwatch ARGS`` in this process (the contract harness's runner)."""
    from tests.contract.harness import run_cli

    res = run_cli(list(args))
    return subprocess.CompletedProcess(args, res.code, res.stdout, res.stderr)


def test_golden_verb(tmp_path: Path) -> None:
    from cribwatch.deploy.golden import load_golden

    out = tmp_path / "g"
    res = _run_here(
        "color", "golden", "--model", str(default_onnx()), "--pairs", str(SAMPLE.parent),
        "--out", str(out), "--limit", "2",
    )  # fmt: skip
    assert res.returncode == 0, res.stderr
    man = load_golden(out)
    assert man["samples"] == ["s000", "s001"]
    names = [t["name"] for t in man["tensors"]]
    assert names[:3] == ["night_l", "ref_lab", "smap"] and {"ab", "gate"} <= set(names)
    # its own earlier dump is replaced without --force
    res = _run_here(
        "color", "golden", "--model", str(default_onnx()), "--pairs", str(SAMPLE.parent),
        "--out", str(out), "--limit", "1",
    )  # fmt: skip
    assert res.returncode == 0, res.stderr
    assert load_golden(out)["samples"] == ["s000"]


def test_card_reader_refuses_other_capability(tmp_path: Path) -> None:
    card = json.loads(default_weights("auto").with_suffix(".json").read_text())
    card["capability"] = "cry"
    p = tmp_path / "c.json"
    p.write_text(json.dumps(card))
    with pytest.raises(CribwatchError, match="cry model card"):
        read_card(p, "color")


def test_colorize_replaces_its_own_output_only(tmp_path: Path) -> None:
    from cribwatch.color.api import colorize_file

    out = tmp_path / "c.png"
    night, ref = SAMPLE / "night.png", SAMPLE / "reference.png"
    colorize_file(night, ref, out, method="gray")
    colorize_file(night, ref, out, method="gray")  # its own earlier output: no --force needed
    foreign = tmp_path / "f.png"
    foreign.write_bytes((SAMPLE / "night.png").read_bytes())
    with pytest.raises(CribwatchError, match="--force"):
        colorize_file(night, ref, foreign, method="gray")
    colorize_file(night, ref, foreign, method="gray", force=True)
    assert read_rgb(foreign).shape == (240, 320, 3)
