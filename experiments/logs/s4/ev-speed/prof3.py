"""Per-frame pieces of the stream evidence at 128x128 (fit cached)."""
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
def t(name, f, N=300):
    ts = []
    for _ in range(N):
        t0 = time.perf_counter(); f(); ts.append(time.perf_counter() - t0)
    print(f"{name:28s} p50 {1000*np.median(ts):.3f} ms", flush=True)
S = ev.EvidenceState(refit_every=10**9); S.stack(n, r, m)
R = S.ref; nn, nb = ev._night(n); pred = R.predict(S.model)
t("state.stack (no refit)", lambda: S.stack(n, r, m))
t("key array_equal", lambda: np.array_equal(S._key, r))
t("_night", lambda: ev._night(n))
t("predict", lambda: R.predict(S.model))
t("drift level", lambda: S._level((nb - pred).ravel()[R.idx]))
t("_maps", lambda: ev._maps(nn, nb, R, pred, m))
t("noise_level", lambda: ev.noise_level(nn))
t("census", lambda: R.census(nb))
t("ncc", lambda: R.ncc(nb))
st = S.stack(n, r, m)
t("logistic prob", lambda: ev.change_probability(st, rt.evidence))
t("fit 4,8", lambda: R.fit(nb, 8))
print("load", os.getloadavg())
