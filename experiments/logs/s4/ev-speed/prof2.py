"""Cost of the fit alone and the per-frame stream path at 128x128: python prof2.py"""
import os, time
from pathlib import Path
import cv2, numpy as np
import cribwatch.color.evidence as ev
from cribwatch.color.runtime import ColorRuntime, F_TABLE, ssim_attention_map_np
cv2.setNumThreads(1)
rt = ColorRuntime(Path("cribwatch/weights/color_ssim_guided_slim_ev.onnx"))
s = Path("cribwatch/demo/samples/color/00000")
night = cv2.resize(cv2.imread(str(s / "night.png"), 0), (640, 480))
ref = cv2.cvtColor(cv2.resize(cv2.imread(str(s / "reference.png")), (640, 480)), cv2.COLOR_BGR2RGB)
rt.set_reference(ref)
n = ev.resize_aa(cv2.LUT(night, F_TABLE), (128, 128)); r = rt._ref["rgb"]
m = ssim_attention_map_np(n, None, rt.ssim, rt._ref["ssim_side"])
def t(name, f, N=200):
    ts = []
    for _ in range(N):
        t0 = time.perf_counter(); f(); ts.append(time.perf_counter() - t0)
    print(f"{name:28s} p50 {1000*np.median(ts):.3f} p90 {1000*np.percentile(ts, 90):.3f} ms", flush=True)
nb = ev._blur(n, 0.7)
for st_, ro in ((2, 6), (4, 6), (8, 8)):
    R = ev.EvidenceReference(r, st_)
    t(f"fit {st_},{ro}", lambda: R.fit(nb, ro))
t("EvidenceReference(r)", lambda: ev.EvidenceReference(r))
t("evidence_stack default", lambda: ev.evidence_stack(n, r, m))
for k in (1, 4, 8):
    S = ev.EvidenceState(refit_every=k)
    t(f"state refit_every={k}", lambda: S.stack(n, r, m))
print("load", os.getloadavg())
