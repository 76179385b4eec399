"""runtime.bench_one at 640x480, 1 thread: slim ONNX against slim_ev ONNX (evidence in pre), alternated twice."""
import json
from pathlib import Path
from cribwatch.color.runtime import bench_one
for rep in range(2):
    for m in ("cribwatch/weights/color_ssim_guided_slim.onnx", "cribwatch/weights/color_ssim_guided_slim_ev.onnx"):
        r = bench_one(Path(m), 480, 640, 1, frames=200, warmup=20)
        print(json.dumps({"model": m, **{k: r[k] for k in r if k.endswith("p50") or k.endswith("p90") or k.startswith("load")}}), flush=True)
