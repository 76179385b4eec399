"""runtime.bench_one, 1 thread, 200 frames after 20 warm-up: slim ONNX (default) and slim_ev ONNX at
128x128 and 640x480; with this tree's cribwatch (after: evidence_refit 4 = default, and 1), or the
committed one (PYTHONPATH=/tmp/before: before). python rtbench.py TAG"""
import json, os, sys
from pathlib import Path
from cribwatch.color import runtime as R
tag = sys.argv[1]
for h, w, th in ((128, 128, 1), (480, 640, 1), (480, 640, 2)):
    for m in ("color_ssim_guided_slim.onnx", "color_ssim_guided_slim_ev.onnx"):
        refits = (None,) if tag == "before" or "_ev" not in m else (4, 1)
        for k in refits:
            open_rt = R.ColorRuntime if k is None else (lambda p, t, k=k: R.ColorRuntime(p, t, R.RuntimeConfig(evidence_refit=k)))
            r = R.bench_one(Path("cribwatch/weights") / m, h, w, th, frames=200, warmup=20, open_rt=open_rt)
            keys = ("ref_ms", "pre_ms_p50", "pre_ms_p90", "total_ms_p50", "total_ms_p90", "load_avg_1min")
            print(json.dumps({"tag": tag, "model": m, "refit": k, "res": r["resolution"], "threads": th, **{x: r[x] for x in keys}}), flush=True)
