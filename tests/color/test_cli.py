"""The colour CLI end to end, including its error paths (one line, exit 2, no output)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
from PIL import Image


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "cribwatch.cli", *args], capture_output=True, text=True, check=False
    )


def _one_error_line(res: subprocess.CompletedProcess[str], *words: str) -> None:
    assert res.returncode == 2, res.stderr
    lines = [ln for ln in res.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1, res.stderr
    assert lines[0].startswith("error: ")
    for w in words:
        assert w in lines[0]


def test_colorize_and_ssim_map(pair_set: Path, tmp_path: Path) -> None:
    pair = pair_set / "00000"
    out = tmp_path / "c.png"
    res = run(
        "color",
        "colorize",
        "--night",
        str(pair / "night.png"),
        "--reference",
        str(pair / "reference.png"),
        "--out",
        str(out),
        "--method",
        "transfer",
    )
    assert res.returncode == 0, res.stderr
    img = np.asarray(Image.open(out))
    assert img.shape == (96, 128, 3) and img.std(axis=2).mean() > 1  # coloured
    res = run(
        "color",
        "ssim-map",
        "--night",
        str(pair / "night.png"),
        "--reference",
        str(pair / "reference.png"),
        "--out",
        str(tmp_path / "m.png"),
        "--mask-out",
        str(tmp_path / "k.png"),
    )
    assert res.returncode == 0, res.stderr
    assert np.asarray(Image.open(tmp_path / "m.png")).shape == (96, 128)
    assert set(np.unique(np.asarray(Image.open(tmp_path / "k.png")))) <= {0, 255}


def test_eval_json_keys(pair_set: Path) -> None:
    res = run("color", "eval", "--data", str(pair_set), "--method", "ssim-map", "--json")
    assert res.returncode == 0, res.stderr
    out = json.loads(res.stdout)
    for key in (
        "method",
        "n",
        "cf_pred",
        "cf_gt",
        "dcf",
        "psnr",
        "ssim",
        "de00",
        "de00_changed",
        "de00_static",
        "de00_raw",
        "ms_per_frame",
    ):
        assert key in out
    assert out["n"] == 6 and out["method"] == "ssim-map"


def test_error_paths(pair_set: Path, tmp_path: Path) -> None:
    pair = pair_set / "00000"
    out = tmp_path / "o.png"
    missing = tmp_path / "missing.png"
    _one_error_line(
        run(
            "color",
            "colorize",
            "--night",
            str(missing),
            "--reference",
            str(pair / "reference.png"),
            "--out",
            str(out),
        ),
        "missing.png",
        "not found",
    )
    corrupt = tmp_path / "corrupt.png"
    corrupt.write_bytes(b"\x89PNG\r\n\x1a\nthis is not a png")
    _one_error_line(
        run(
            "color",
            "colorize",
            "--night",
            str(corrupt),
            "--reference",
            str(pair / "reference.png"),
            "--out",
            str(out),
        ),
        "corrupt.png",
    )
    _one_error_line(
        run(
            "color",
            "colorize",
            "--night",
            str(pair / "night.png"),
            "--reference",
            str(pair / "night.png"),
            "--out",
            str(out),
        ),
        "grey image",
    )
    nan = tmp_path / "nan.tiff"
    arr = np.full((40, 50), 0.5, np.float32)
    arr[3, 4] = np.nan
    Image.fromarray(arr, mode="F").save(nan)
    _one_error_line(
        run(
            "color",
            "colorize",
            "--night",
            str(nan),
            "--reference",
            str(pair / "reference.png"),
            "--out",
            str(out),
        ),
        "NaN",
    )
    empty = tmp_path / "empty"
    empty.mkdir()
    _one_error_line(run("color", "eval", "--data", str(empty), "--method", "gray"), "no pairs")
    _one_error_line(
        run("color", "eval", "--data", str(pair_set), "--method", "nope"), "unknown method"
    )
    assert not out.exists()  # no partial output
    assert not any(p.name.startswith(".o.png") for p in tmp_path.iterdir())


def test_diagnose_cli(pair_set: Path, tmp_path: Path) -> None:
    res = run("color", "diagnose", "--data", str(pair_set), "--limit", "2", "--json")
    assert res.returncode == 0, res.stderr
    out = json.loads(res.stdout)
    row = out["groups"]["all"]
    assert {"gray", "reference", "output", "gate_changed", "dcf output"} <= set(row)
    _one_error_line(
        run("color", "diagnose", "--data", str(pair_set), "--scales", "a,b"), "--scales"
    )
    _one_error_line(run("color", "diagnose", "--data", str(tmp_path / "none")), "none")
