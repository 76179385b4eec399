"""Contract cases of ``cribwatch board build|run|check|bench`` (audit rows bbench_*, bc_*).

Cases that end in the C program (``cw_cry``'s own argument and file checks) run as a process
(``process=True``): its one ``error:`` line is written by the C side to the same stderr.
"""

from __future__ import annotations

import json
from pathlib import Path

from tests.contract.harness import Case, run_cli


def _bad_config(tmp: Path, fx: Path) -> None:
    (tmp / "c.json").write_text(json.dumps({"threshold": "high"}))


def _sr8k_checks_pass(tmp: Path, fx: Path) -> None:
    """bc_audio_sr8k: the 8 kHz file itself is fine for ``board check``: resampled to 16 kHz
    as ``cry detect`` does, both sides run the same 16-bit PCM and agree."""
    res = run_cli(["board", "check", "--audio", f"{fx}/sr8k.wav", "--windows", "1", "--json"])
    assert res.code == 0, res.stderr
    out = json.loads(res.stdout)
    assert out["pass"] and out["audio"].endswith("sr8k.wav"), out


CASES: list[Case] = [
    Case(
        "bbench_seconds_neg",
        ["board", "bench", "--seconds-a", "-1", "--no-mipsel"],
        names=["--seconds-a"],
        process=True,
        timeout=120,
    ),
    Case(
        "bc_config_bad",
        ["board", "check", "--config", "{tmp}/c.json"],
        names=["c.json", "threshold"],
        setup=_bad_config,
    ),
    Case(
        # the 8 kHz audio is accepted (see the check); the command line's error is --config's
        "bc_audio_sr8k",
        ["board", "check", "--audio", "{fx}/sr8k.wav", "--config", "{fx}/list.json"],
        names=["list.json"],
        check=_sr8k_checks_pass,
    ),
    Case("bc_windows0", ["board", "check", "--windows", "0"], names=["--windows"]),
    # one per verb and option beyond the audit rows
    Case("bbench_seconds_b_nan", ["board", "bench", "--seconds-b", "nan"], names=["--seconds-b"]),
    Case(
        "bbench_seconds_b_le_a",
        ["board", "bench", "--seconds-a", "2", "--seconds-b", "1"],
        names=["--seconds-b"],
    ),
    Case(
        "bbench_config_missing",
        ["board", "bench", "--config", "{tmp}/nope.json"],
        names=["--config", "nope.json"],
    ),
    Case("bb_target_bogus", ["board", "build", "--target", "bogus"], names=["--target"]),
    Case(
        "bc_intmodel_text",
        ["board", "check", "--int-model", "{fx}/text.cwq"],
        names=["text.cwq"],
    ),
    Case(
        "bc_audio_text",
        ["board", "check", "--audio", "{fx}/text.wav", "--windows", "1"],
        names=["text.wav"],
    ),
    Case(
        "bc_audio_missing",
        ["board", "check", "--audio", "{tmp}/nope.wav"],
        names=["--audio", "nope.wav"],
    ),
    Case(
        "br_model_missing",
        ["board", "run", "--model", "{tmp}/nope.cwb", "{fx}/noise.wav"],
        names=["--model", "nope.cwb"],
    ),
    Case(
        "br_model_text",
        ["board", "run", "--model", "{fx}/text.cwq", "{fx}/noise.wav"],
        names=["text.cwq"],
        process=True,
    ),
    Case(
        "br_c_seconds_neg",
        ["board", "run", "--bench", "full", "--seconds", "-1"],
        names=["--seconds"],
        process=True,
    ),
    Case(
        "br_c_seconds_nan",
        ["board", "run", "--bench", "full", "--seconds", "nan"],
        names=["--seconds"],
        process=True,
    ),
    Case(
        "br_c_samples_text",
        ["board", "run", "--golden", "{tmp}", "--out", "{tmp}/o", "--samples", "2x"],
        names=["--samples"],
        process=True,
        absent=["{tmp}/o"],
    ),
    Case(
        "br_c_audio_sr8k",
        ["board", "run", "{fx}/sr8k.wav"],
        names=["sr8k.wav", "8000"],
        process=True,
    ),
]
