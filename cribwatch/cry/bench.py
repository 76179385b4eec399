"""``cribwatch cry bench``: front end and model time per 1 s window, real-time factor, RSS.

All timings with one thread. The detector's peak RSS is measured on the torch-free entry point
(:mod:`cribwatch.cry.lean`) streaming a 1 minute and a 1 hour signal through stdin.
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from cribwatch.cry.audio import SR, to_pcm16
from cribwatch.cry.features import WINDOW_FRAMES, logmel, to_model_input
from cribwatch.cry.intref import IntScorer
from cribwatch.cry.postprocess import FilterConfig
from cribwatch.cry.stream import OnnxScorer, StreamDetector
from cribwatch.cry.synth import colored_noise, synth_cry
from cribwatch.deploy.bench import child_peak_rss_mb, time_ms


def _test_signal(seconds: float, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    x = 0.01 * colored_noise(rng, int(seconds * SR), "pink")
    c, _ = synth_cry(rng)
    c = c[: min(c.shape[0], x.shape[0] // 2)]
    x[: c.shape[0]] += 0.3 * c
    return x.astype(np.float32)


def write_pcm(path: Path, seconds: float, seed: int = 0, chunk_s: float = 600.0) -> None:
    """Raw s16le PCM of a noise-and-cries signal of any length, written chunk by chunk."""
    with open(path, "wb") as fh:
        left = seconds
        k = 0
        while left > 0:
            n = min(chunk_s, left)
            fh.write(to_pcm16(_test_signal(n, seed + k)).astype("<i2").tobytes())
            left -= n
            k += 1


def bench(
    cwq: Path | None,
    onnx_int: Path | None,
    onnx_fp32: Path | None,
    n: int = 200,
    rss_hours: float = 1.0,
    cfg: FilterConfig | None = None,
) -> dict[str, object]:
    """``cfg``: the detector config of the pipeline and RSS runs (its hop sets how many
    windows a second the model scores); default FilterConfig()."""
    cfg = cfg or FilterConfig()

    x = _test_signal(60.0)
    win = x[:SR]
    res: dict[str, object] = {}
    fe = time_ms(lambda: to_model_input(logmel(win)), n=n)
    res["frontend_ms_p50"], res["frontend_ms_p90"] = round(fe["p50"], 4), round(fe["p90"], 4)
    feat = to_model_input(logmel(win))[None, :WINDOW_FRAMES]
    models: dict[str, object] = {}
    if onnx_int is not None and onnx_int.exists():
        models["onnx_int"] = OnnxScorer(onnx_int, threads=1, batch=1)
    if onnx_fp32 is not None and onnx_fp32.exists():
        models["onnx_fp32"] = OnnxScorer(onnx_fp32, threads=1, batch=1)
    if cwq is not None and cwq.exists():
        models["numpy_int_reference"] = IntScorer.load(cwq)
    for name, sc in models.items():
        t = time_ms(lambda sc=sc: sc(feat), n=n)  # type: ignore[misc]
        res[f"model_{name}_ms_p50"], res[f"model_{name}_ms_p90"] = (
            round(t["p50"], 4),
            round(t["p90"], 4),
        )
    # real-time factor of the whole streaming pipeline (front end, pitch, model, chain)
    main = models.get("onnx_int") or models.get("onnx_fp32") or models.get("numpy_int_reference")
    if main is not None:
        det = StreamDetector(main, cfg)  # type: ignore[arg-type]
        t0 = time.perf_counter()
        for s in range(0, x.shape[0], 8000):
            det.push(x[s : s + 8000])
        det.flush()
        el = time.perf_counter() - t0
        res["pipeline_model"] = next(k for k, v in models.items() if v is main)
        res["pipeline_hop_s"] = cfg.hop_s
        res["realtime_factor"] = round(x.shape[0] / SR / el, 1)
        res["pipeline_ms_per_s_audio"] = round(el / (x.shape[0] / SR) * 1000, 3)
        model_path = (
            onnx_int
            if res["pipeline_model"] == "onnx_int"
            else (onnx_fp32 if res["pipeline_model"] == "onnx_fp32" else cwq)
        )
        with tempfile.TemporaryDirectory() as tmp:
            conf = Path(tmp) / "detector.json"
            conf.write_text(json.dumps({"detector": cfg.to_dict()}))
            for label, secs in (("1min", 60.0), (f"{rss_hours:g}h", rss_hours * 3600)):
                pcm = Path(tmp) / f"{label}.pcm"
                write_pcm(pcm, secs)
                cmd = [sys.executable, "-m", "cribwatch.cry.lean", str(model_path), str(conf)]
                rss, rc, _ = child_peak_rss_mb(cmd, str(pcm))
                res[f"detector_peak_rss_mb_{label}"] = round(rss, 1)
                res[f"detector_rc_{label}"] = rc
                pcm.unlink()
    res["threads"] = 1
    return res
