"""``cribwatch color bench --peers DIR``: the peers' absence is a message, not a failure."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from cribwatch.color.peers import PEERS, bench_peers, find_peer
from cribwatch.errors import CribwatchError


def test_peers_absent_are_skipped_with_a_message(tmp_path: Path) -> None:
    (tmp_path / "DDColor").mkdir()  # a folder without the code is still absent code
    rows = bench_peers(tmp_path, tmp_path / "unused.onnx")  # nothing is timed: no model read
    assert [r["name"] for r in rows] == list(PEERS)
    for r in rows:
        msg = r["skipped"]
        assert msg.startswith(f"skipped {r['name']}: no ")
        assert str(tmp_path) in msg and PEERS[r["name"]]["repo"] in msg
    with pytest.raises(CribwatchError, match="folder not found"):
        bench_peers(tmp_path / "nope", tmp_path / "unused.onnx")


def test_find_peer_layouts(tmp_path: Path) -> None:
    code = tmp_path / "EnlightenGAN" / "models"
    code.mkdir(parents=True)
    (code / "networks.py").write_text("")
    assert find_peer(tmp_path, "enlightengan") == tmp_path / "EnlightenGAN"
    assert find_peer(tmp_path / "EnlightenGAN", "enlightengan") == tmp_path / "EnlightenGAN"
    assert find_peer(tmp_path, "ddcolor-tiny") is None


def test_bench_peers_cli_skip_message(tmp_path: Path) -> None:
    res = subprocess.run(
        [sys.executable, "-m", "cribwatch.cli", "color", "bench", "--peers", str(tmp_path)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert res.returncode == 0, res.stderr
    lines = res.stdout.splitlines()
    assert [ln.split(":")[0] for ln in lines] == ["skipped ddcolor-tiny", "skipped enlightengan"]
    assert "piddnad/DDColor" in lines[0] and "VITA-Group/EnlightenGAN" in lines[1]
