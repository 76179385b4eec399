"""The monitor's colour path on the bench's 640x480 scene (cribwatch.monitor.synth._scene: the
bundled sample by day and simulated IR night), in-process: per-frame time of
NightColour.night() once the choice is made, alignment off and on, and on with a reference
shifted by (16, 10) px (the fill of the uncovered border active). Blocks of 50 frames
interleaved (off, on, on-shifted) x 6 so the machine's load falls on all alike. Sensor noise
per frame (sigma 3 grey levels). Prints JSON."""
import json
import os
import time

import cv2
import numpy as np

from cribwatch.monitor.pipeline import MonitorConfig, NightColour
from cribwatch.monitor.synth import _scene

day, night = _scene(640, 480)
day8 = (np.clip(day, 0, 1) * 255 + 0.5).astype(np.uint8)
n8 = (np.clip(night, 0, 1) * 255 + 0.5).astype(np.uint8)
shifted = cv2.warpAffine(day8, np.float32([[1, 0, 16], [0, 1, 10]]), (640, 480),
                         borderMode=cv2.BORDER_REFLECT_101)
rng = np.random.default_rng(0)


def frame() -> np.ndarray:
    return np.clip(n8 + rng.normal(0, 3, n8.shape), 0, 255).astype(np.uint8)


stages = {
    "off": (MonitorConfig(colour_align=False), day8),
    "on": (MonitorConfig(), day8),
    "on_shifted_16_10": (MonitorConfig(), shifted),
}
cols, ms, choice = {}, {k: [] for k in stages}, {}
load0 = os.getloadavg()
for k, (cfg, ref) in stages.items():
    c = NightColour(cfg, background=False)
    c.add(ref)
    t0 = time.perf_counter()
    for i in range(8):
        c.night(i / 15, frame())
    choice[k] = {"status": c.status, "setup_ms": round(1000 * (time.perf_counter() - t0), 1),
                 "choice": c.summary()}
    cols[k] = c
for _ in range(6):
    for k, c in cols.items():
        for _ in range(50):
            f = frame()
            t0 = time.perf_counter()
            out = c.night(1.0, f)
            ms[k].append(1000 * (time.perf_counter() - t0))
            assert out is not None
res = {k: {"p50_ms": round(float(np.percentile(v, 50)), 2), "p90_ms": round(float(np.percentile(v, 90)), 2),
           "mean_ms": round(float(np.mean(v)), 2), "n": len(v), **choice[k]} for k, v in ms.items()}
res["load_avg_before"] = [round(x, 2) for x in load0]
res["load_avg_after"] = [round(x, 2) for x in os.getloadavg()]
print(json.dumps(res))
