"""Issue 27 slim colour network: train via the library (the CLI has no --arch/--teacher yet)."""
import sys, json, time
from pathlib import Path
import torch
from cribwatch.color.config import TrainConfig
from cribwatch.color.model import ARCHITECTURES
from cribwatch.color.train import train
from dataclasses import replace
data, out, steps, minutes, distil = sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4]), float(sys.argv[5])
teacher = Path(sys.argv[6]) if len(sys.argv) > 6 else None
stop = int(sys.argv[7]) if len(sys.argv) > 7 else None
cfg = TrainConfig(steps=steps, minutes=minutes, seed=0, threads=1, distil_weight=distil)
t0 = time.time()
final = train(Path(data), Path(out), cfg, ARCHITECTURES["slim"], teacher=teacher, stop_after=stop,
              command=" ".join(sys.argv), progress=None)
print(json.dumps({"step": final["step"], "elapsed_s": final["elapsed_s"], "last": final["history"][-1:] if final["history"] else None, "wall": time.time()-t0}))
