"""The LiteRT (TFLite) colour network: the shipped INT8 file against FP32, the LiteRT runtime,
the bench's LiteRT rows. Skipped where ai-edge-litert is not installed or no file is shipped;
the converter (litert-torch, `make tflite-venv`) is checked only where its venv exists."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from importlib import resources
from pathlib import Path

import cv2
import numpy as np
import pytest

from cribwatch.color import deploy
from cribwatch.color.deploy import (
    TFLITE_FP32_FILE,
    TFLITE_INT8_FILE,
    BenchConfig,
    OnnxNet,
    bench_models,
    shipped_file,
)
from cribwatch.color.litert_net import LiteRTRuntime, litert_available, open_runtime
from cribwatch.color.methods import ONNX_WEIGHTS
from cribwatch.color.runtime import ColorRuntime
from cribwatch.errors import CribwatchError

needs_litert = pytest.mark.skipif(not litert_available(), reason="ai-edge-litert not installed")
INT8 = shipped_file(TFLITE_INT8_FILE)
FP32 = shipped_file(TFLITE_FP32_FILE)
ONNX = Path(str(resources.files("cribwatch") / "weights" / ONNX_WEIGHTS["ssim-guided"]))
SAMPLE = Path(str(resources.files("cribwatch.demo") / "samples" / "color" / "00000"))


def _sample(size: tuple[int, int] = (96, 128)) -> tuple[np.ndarray, np.ndarray]:
    night = cv2.imread(str(SAMPLE / "night.png"), cv2.IMREAD_GRAYSCALE)
    ref = cv2.cvtColor(cv2.imread(str(SAMPLE / "reference.png")), cv2.COLOR_BGR2RGB)
    w, h = size[1], size[0]
    return cv2.resize(night, (w, h)), cv2.resize(ref, (w, h))


def _psnr(a: np.ndarray, b: np.ndarray, peak: float) -> float:
    mse = float(np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2))
    return 100.0 if mse == 0 else 10 * np.log10(peak**2 / mse)


@needs_litert
@pytest.mark.skipif(INT8 is None or FP32 is None, reason="no shipped .tflite colour files")
def test_int8_parity_with_fp32() -> None:
    """INT8 parity: the shipped full-INT8 LiteRT network against its FP32 ONNX twin on the
    bundled pair. The issue's bar (>= 38 dB against FP32) is on the colour frame, as
    ``cribwatch color quantize --eval`` measures it; the raw network outputs are held to what
    was measured when the file was made (ab 36.0 dB, gate 44.4 dB here; the ONNX Runtime INT8
    file: 36.1 dB pooled on validation pairs). The FP32 LiteRT file: float rounding only."""
    assert INT8 is not None and FP32 is not None
    night, ref = _sample()
    fp32 = ColorRuntime(ONNX)
    fp32.set_reference(ref)
    feeds = fp32.pre(night)
    want = fp32.model(feeds)
    for path, bars in ((INT8, (34.0, 42.0)), (FP32, (80.0, 80.0))):
        got = OnnxNet(path).run({k: v for k, v in feeds.items() if not k.startswith("_")})
        assert [g.shape for g in got] == [w.shape for w in want]
        ab = _psnr(got[0], want[0], 2.0)
        gate = _psnr(got[1], want[1], 1.0)
        assert ab >= bars[0] and gate >= bars[1], (path.name, ab, gate)
    rt = open_runtime(INT8)
    rt.set_reference(ref)
    assert _psnr(rt(night), fp32(night), 255.0) >= 38.0  # the bar, on the frame


@needs_litert
@pytest.mark.skipif(INT8 is None, reason="no shipped .tflite colour file")
def test_litert_runtime_colours_like_onnx() -> None:
    """The deployable pipeline over LiteRT (INT8) gives nearly ONNX Runtime FP32's frame."""
    assert INT8 is not None
    night, ref = _sample()
    rt = open_runtime(INT8, threads=1)
    assert isinstance(rt, LiteRTRuntime) and rt.session.int8  # type: ignore[attr-defined]
    rt.set_reference(ref)
    base = ColorRuntime(ONNX)
    base.set_reference(ref)
    a, b = rt(night), base(night)
    assert a.shape == b.shape == (*night.shape, 3) and a.dtype == np.uint8
    assert _psnr(a, b, 255.0) > 35.0
    assert np.array_equal(rt(night), a)  # the cached reference feed is reused, same result


@needs_litert
def test_litert_refuses_other_files(tmp_path: Path) -> None:
    junk = tmp_path / "x.tflite"
    junk.write_bytes(b"not a flatbuffer at all")
    with pytest.raises(CribwatchError, match="x.tflite"):
        open_runtime(junk)
    with pytest.raises(CribwatchError, match="not found"):
        open_runtime(tmp_path / "none.tflite")


def test_bench_skips_litert_with_one_row(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without LiteRT the bench keeps its ONNX Runtime rows and adds one 'skipped' row."""
    monkeypatch.setattr(deploy, "litert_available", lambda: False)
    cfg = BenchConfig(frames=1, warmup=0, resolutions=((32, 32),), threads=(1,))
    rows = bench_models(cfg=cfg)
    skipped = [r for r in rows if "skipped" in r]
    assert len(skipped) == 1 and "ai-edge-litert" in skipped[0]["skipped"]
    assert any(r.get("precision") == "fp32" for r in rows)


@needs_litert
@pytest.mark.skipif(INT8 is None or FP32 is None, reason="no shipped .tflite colour files")
def test_bench_interleaves_four_networks() -> None:
    cfg = BenchConfig(frames=2, warmup=1, resolutions=((32, 48),), threads=(1,))
    rows = bench_models(cfg=cfg)
    inter = [r for r in rows if r.get("mode") == "interleaved"]
    assert {r["name"] for r in inter} == {"ort-fp32", "ort-int8", "litert-fp32", "litert-int8"}
    assert all(r["resolution"] == "48x32" and r["model_ms_p50"] > 0 for r in inter)
    (speed,) = [r for r in rows if r.get("mode") == "speedup"]
    assert {"int8_litert_vs_ort_fp32", "int8_litert_vs_litert_fp32"} <= set(speed)


TFLITE_PY = Path(os.environ.get("CRIBWATCH_TFLITE_PYTHON", ".venv-tflite/bin/python"))


@pytest.mark.skipif(not TFLITE_PY.is_file(), reason="no LiteRT converter venv (make tflite-venv)")
def test_converter_refuses_int8_without_calibration(tmp_path: Path) -> None:
    """The converter entry point (in its own venv) checks its options before any work."""
    probe = [str(TFLITE_PY), "-c", "import cribwatch.color.tflite"]
    if subprocess.run(probe, capture_output=True, check=False, timeout=300).returncode != 0:
        pytest.skip(
            f"{TFLITE_PY} cannot import cribwatch.color.tflite (pip install -e '.[tflite]')"
        )
    res = subprocess.run(
        [str(TFLITE_PY), "-m", "cribwatch.color.tflite", "--precision", "int8", "--out",
         str(tmp_path / "m.tflite")],
        capture_output=True, text=True, check=False, timeout=300,
    )  # fmt: skip
    assert res.returncode == 2
    assert res.stderr.strip().splitlines()[-1].startswith("error: --precision int8 needs --calib")
    assert not (tmp_path / "m.tflite").exists()
    assert sys.executable  # the test venv is not the converter's


@needs_litert
@pytest.mark.skipif(INT8 is None, reason="no shipped .tflite colour file")
def test_shipped_int8_metadata_and_mark() -> None:
    from cribwatch.color.litert_net import META_NAME, read_tflite_metadata
    from cribwatch.io import written_by_cribwatch

    assert INT8 is not None
    meta = json.loads(read_tflite_metadata(INT8)[META_NAME])
    assert meta["precision"] == "int8" and meta["network"]["size"] == 128
    assert written_by_cribwatch(INT8)


@needs_litert
@pytest.mark.skipif(INT8 is None, reason="no shipped .tflite colour file")
def test_free_requantize_removes_requantising_nodes(tmp_path: Path) -> None:
    """Removing the int8 -> int8 QUANTIZE nodes (their input tensors take their scales, conv
    biases rescaled) leaves a file that loads and colours within the 38 dB bar of the original
    INT8 file's frame."""
    from ai_edge_litert import schema_py_generated as schema
    from ai_edge_litert.tools import flatbuffer_utils

    from cribwatch.color.tflite import _free_requantize

    assert INT8 is not None
    model = flatbuffer_utils.read_model(str(INT8))
    g = model.subgraphs[0]

    def requant(m: object) -> int:
        ops = m.subgraphs[0].operators  # type: ignore[attr-defined]
        codes = m.operatorCodes  # type: ignore[attr-defined]
        tensors = m.subgraphs[0].tensors  # type: ignore[attr-defined]
        return sum(
            1
            for op in ops
            if max(codes[op.opcodeIndex].builtinCode, codes[op.opcodeIndex].deprecatedBuiltinCode)
            == schema.BuiltinOperator.QUANTIZE
            and tensors[op.inputs[0]].type == schema.TensorType.INT8
        )

    before, n_ops = requant(model), len(g.operators)
    assert before > 0
    removed = _free_requantize(model, schema)
    assert removed == before and requant(model) == 0 and len(g.operators) == n_ops - removed
    out = tmp_path / "free.tflite"
    flatbuffer_utils.write_model(model, str(out))
    night, ref = _sample()
    a, b = open_runtime(INT8), open_runtime(out)
    a.set_reference(ref)
    b.set_reference(ref)
    assert _psnr(b(night), a(night), 255.0) >= 38.0


@needs_litert
@pytest.mark.skipif(INT8 is None, reason="no shipped .tflite colour file")
def test_pool_as_depthwise_keeps_the_frame(tmp_path: Path) -> None:
    """The int8 2x2 average pool rewritten as a depthwise convolution with weights 1/4: the
    file loads, has no average pool left, and colours as the original within 38 dB."""
    from ai_edge_litert import schema_py_generated as schema
    from ai_edge_litert.tools import flatbuffer_utils

    from cribwatch.color.tflite import _pool_as_depthwise

    assert INT8 is not None
    model = flatbuffer_utils.read_model(str(INT8))
    assert _pool_as_depthwise(model, schema) == 1
    codes = {
        max(model.operatorCodes[op.opcodeIndex].builtinCode, 0)
        for op in model.subgraphs[0].operators
    }
    assert schema.BuiltinOperator.AVERAGE_POOL_2D not in codes
    out = tmp_path / "dw.tflite"
    flatbuffer_utils.write_model(model, str(out))
    night, ref = _sample()
    a, b = open_runtime(INT8), open_runtime(out)
    a.set_reference(ref)
    b.set_reference(ref)
    assert _psnr(b(night), a(night), 255.0) >= 38.0
