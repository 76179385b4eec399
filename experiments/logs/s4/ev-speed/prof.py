"""Component costs of the evidence at 128x128 on the bench pair: python prof.py"""
import os, time, json
from pathlib import Path
import cv2, numpy as np
import cribwatch.color.evidence as ev
from cribwatch.color.runtime import ColorRuntime
cv2.setNumThreads(1)
rt = ColorRuntime(Path("cribwatch/weights/color_ssim_guided_slim_ev.onnx"))
s = Path("cribwatch/demo/samples/color/00000")
night = cv2.resize(cv2.imread(str(s / "night.png"), 0), (640, 480))
ref = cv2.cvtColor(cv2.resize(cv2.imread(str(s / "reference.png")), (640, 480)), cv2.COLOR_BGR2RGB)
rt.set_reference(ref)
n = ev.resize_aa(cv2.LUT(night, __import__("cribwatch.color.runtime", fromlist=["F_TABLE"]).F_TABLE), (128, 128))
r = rt._ref["rgb"]
from cribwatch.color.runtime import ssim_attention_map_np
m = ssim_attention_map_np(n, None, rt.ssim, rt._ref["ssim_side"])
nb = ev._blur(n, 0.7); rb = ev._blur(r, 0.7)
gray = rb @ np.array([0.299, 0.587, 0.114], np.float32)
def t(name, f, N=100):
    ts = []
    for _ in range(N):
        t0 = time.perf_counter(); f(); ts.append(time.perf_counter() - t0)
    print(f"{name:20s} p50 {1000*np.median(ts):.3f} ms", flush=True)
t("nir_fit", lambda: ev.nir_fit(nb, rb))
t("census", lambda: ev.census_distance(nb, gray))
t("ncc", lambda: ev.local_ncc(nb, gray))
t("noise", lambda: ev.noise_level(n))
t("stack", lambda: ev.evidence_stack(n, r, m))
st = ev.evidence_stack(n, r, m)
t("logistic", lambda: ev.change_probability(st, rt.evidence))
t("ssim", lambda: ssim_attention_map_np(n, None, rt.ssim, rt._ref["ssim_side"]))
print("load", os.getloadavg())
