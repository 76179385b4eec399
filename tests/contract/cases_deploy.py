"""Contract cases of ``cribwatch deploy golden dump|compare`` (audit rows dg_*, X6)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

from tests.contract.harness import Case

SHAPE = (1, 1, 32, 32)
"""The input shape of the tiny model every case dumps."""


def _model(path: Path) -> None:
    """A tiny ONNX model built with onnx.helper (no torch): x -> Relu -> Mul 2 -> y."""
    import onnx
    from onnx import TensorProto, helper

    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, list(SHAPE))
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, list(SHAPE))
    two = helper.make_tensor("two", TensorProto.FLOAT, [1], [2.0])
    graph = helper.make_graph(
        [helper.make_node("Relu", ["x"], ["r"]), helper.make_node("Mul", ["r", "two"], ["y"])],
        "tiny",
        [x],
        [y],
        [two],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.save(model, str(path))


def _inputs(folder: Path, n: int, seed: int = 0) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    for i in range(n):
        np.save(folder / f"{i:04d}.npy", rng.standard_normal(SHAPE).astype(np.float32))


def _model_and_inputs(tmp: Path, fx: Path) -> None:
    _model(tmp / "m.onnx")
    _inputs(tmp / "in", 2)


def _text_npy(tmp: Path, fx: Path) -> None:
    _model(tmp / "m.onnx")
    (tmp / "bad").mkdir()
    (tmp / "bad" / "a.npy").write_text("this is plain text, not an array\n")


def _wrong_shape(tmp: Path, fx: Path) -> None:
    _model(tmp / "m.onnx")
    (tmp / "bad").mkdir()
    np.save(tmp / "bad" / "a.npy", np.zeros((3, 3), np.float32))


def _golden_list_manifest(tmp: Path, fx: Path) -> None:
    (tmp / "g").mkdir()
    (tmp / "g" / "manifest.json").write_text("[]\n")
    (tmp / "a").mkdir()


def _cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "cribwatch.cli", *args]


def _dump_files(folder: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(folder)): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and p.name != ".cribwatch"
    }


def _kill_mid_dump(tmp: Path, fx: Path) -> None:
    """X6: an older dump at ``g``; a new dump of many samples into ``g`` is SIGKILLed once its
    second sample folder exists. ``g`` must still be the old dump, whole (checked by
    :func:`_old_dump_whole`); the case's command line then checks a bad input the usual way."""
    _model(tmp / "m.onnx")
    _inputs(tmp / "old", 2, seed=1)
    _dump(tmp / "m.onnx", tmp / "old", tmp / "g")
    (tmp / "old.json").write_text(
        json.dumps({k: v.hex() for k, v in _dump_files(tmp / "g").items()})
    )
    _inputs(tmp / "many", 400, seed=2)
    (tmp / "bad").mkdir()
    (tmp / "bad" / "a.npy").write_text("not an array\n")
    killed = False
    for _ in range(3):
        proc = subprocess.Popen(
            _cli(
                "deploy",
                "golden",
                "dump",
                "--model",
                str(tmp / "m.onnx"),
                "--inputs",
                str(tmp / "many"),
                "--out",
                str(tmp / "g"),
                "--limit",
                "400",
            ),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 300
        while proc.poll() is None and time.monotonic() < deadline:
            partial = [p for p in tmp.glob(".g.partial-*") if (p / "s001").is_dir()]
            if partial:
                os.kill(proc.pid, signal.SIGKILL)
                proc.wait()
                killed = True
                break
            time.sleep(0.002)
        proc.wait()
        if killed:
            break
        # the dump finished before it was seen: put the old one back and try again
        _dump(tmp / "m.onnx", tmp / "old", tmp / "g")
    assert killed, "X6: the dump always finished before its second sample folder was seen"


def _old_dump_whole(tmp: Path, fx: Path) -> None:
    old = {k: bytes.fromhex(v) for k, v in json.loads((tmp / "old.json").read_text()).items()}
    assert _dump_files(tmp / "g") == old, "X6: --out is not the old dump, whole"


def _dump(model: Path, inputs: Path, out: Path) -> None:
    from cribwatch.deploy.golden import dump_golden, model_inputs, read_inputs

    dump_golden(model, read_inputs(inputs, model_inputs(model)), out, force=True)


def _golden_ok(tmp: Path, fx: Path) -> None:
    _model_and_inputs(tmp, fx)
    _dump(tmp / "m.onnx", tmp / "in", tmp / "g")


CASES: list[Case] = [
    Case(
        "dg_dump_out_ro",
        [
            "deploy",
            "golden",
            "dump",
            "--model",
            "{tmp}/m.onnx",
            "--inputs",
            "{tmp}/in",
            "--out",
            "{fx}/ro/g",
        ],
        names=["{fx}/ro/g"],
        absent=["{fx}/ro/g"],
        setup=_model_and_inputs,
    ),
    Case(
        "dg_dump_inputs_text",
        [
            "deploy",
            "golden",
            "dump",
            "--model",
            "{tmp}/m.onnx",
            "--inputs",
            "{tmp}/bad",
            "--out",
            "{tmp}/g",
        ],
        names=["a.npy", "not a numeric .npy array"],
        absent=["{tmp}/g"],
        setup=_text_npy,
    ),
    Case(
        "dg_dump_inputs_shape",
        [
            "deploy",
            "golden",
            "dump",
            "--model",
            "{tmp}/m.onnx",
            "--inputs",
            "{tmp}/bad",
            "--out",
            "{tmp}/g",
        ],
        names=["a.npy", "[1, 1, 32, 32]"],
        absent=["{tmp}/g"],
        setup=_wrong_shape,
    ),
    Case(
        "dg_cmp_manifest_list",
        ["deploy", "golden", "compare", "--golden", "{tmp}/g", "--actual", "{tmp}/a"],
        names=["manifest.json"],
        setup=_golden_list_manifest,
    ),
    Case(
        "X6",
        [
            "deploy",
            "golden",
            "dump",
            "--model",
            "{tmp}/m.onnx",
            "--inputs",
            "{tmp}/bad",
            "--out",
            "{tmp}/g",
        ],
        names=["a.npy"],
        setup=_kill_mid_dump,
        check=_old_dump_whole,
        timeout=600,
    ),
    # one per verb and option beyond the audit rows
    Case(
        "dg_dump_model_text",
        [
            "deploy",
            "golden",
            "dump",
            "--model",
            "{fx}/text.onnx",
            "--inputs",
            "{tmp}/in",
            "--out",
            "{tmp}/g",
        ],
        names=["text.onnx"],
        absent=["{tmp}/g"],
        setup=_model_and_inputs,
    ),
    Case(
        "dg_dump_limit0",
        [
            "deploy",
            "golden",
            "dump",
            "--model",
            "{tmp}/m.onnx",
            "--inputs",
            "{tmp}/in",
            "--out",
            "{tmp}/g",
            "--limit",
            "0",
        ],
        names=["--limit"],
        absent=["{tmp}/g"],
        setup=_model_and_inputs,
    ),
    Case(
        "dg_dump_out_eq_model",
        [
            "deploy",
            "golden",
            "dump",
            "--model",
            "{tmp}/m.onnx",
            "--inputs",
            "{tmp}/in",
            "--out",
            "{tmp}/m.onnx",
        ],
        names=["--out", "--model"],
        setup=_model_and_inputs,
        check=lambda tmp, fx: _model_unchanged(tmp),
    ),
    Case(
        "dg_dump_inputs_missing",
        [
            "deploy",
            "golden",
            "dump",
            "--model",
            "{tmp}/m.onnx",
            "--inputs",
            "{tmp}/nope",
            "--out",
            "{tmp}/g",
        ],
        names=["nope"],
        absent=["{tmp}/g"],
        setup=_model_and_inputs,
    ),
    Case(
        "dg_cmp_golden_missing",
        ["deploy", "golden", "compare", "--golden", "{tmp}/nope", "--actual", "{tmp}"],
        names=["nope"],
    ),
    Case(
        "dg_cmp_max_abs_nan",
        [
            "deploy",
            "golden",
            "compare",
            "--golden",
            "{tmp}/g",
            "--actual",
            "{tmp}/g",
            "--max-abs",
            "nan",
        ],
        names=["--max-abs"],
        setup=_golden_ok,
    ),
    Case(
        "dg_cmp_actual_text_npy",
        ["deploy", "golden", "compare", "--golden", "{tmp}/g", "--actual", "{tmp}/a"],
        names=["y.npy"],
        setup=lambda tmp, fx: _actual_with_text_tensor(tmp, fx),
    ),
]


def _model_unchanged(tmp: Path) -> None:
    import onnx

    onnx.checker.check_model(str(tmp / "m.onnx"))


def _actual_with_text_tensor(tmp: Path, fx: Path) -> None:
    import shutil

    _golden_ok(tmp, fx)
    shutil.copytree(tmp / "g", tmp / "a")
    (tmp / "a" / "s000" / "y.npy").write_text("not an array\n")
