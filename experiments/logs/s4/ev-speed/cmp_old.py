"""New evidence (stride 2, rounds 6) vs the committed one on the bench pair; and the fast default."""
import sys, importlib.util, json
from pathlib import Path
import cv2, numpy as np
sys.path.insert(0, "/tmp")
import ev_old
import cribwatch.color.evidence as ev
from cribwatch.color.runtime import ColorRuntime, F_TABLE, ssim_attention_map_np
rt = ColorRuntime(Path("cribwatch/weights/color_ssim_guided_slim_ev.onnx"))
s = Path("cribwatch/demo/samples/color/00000")
night = cv2.resize(cv2.imread(str(s / "night.png"), 0), (640, 480))
ref = cv2.cvtColor(cv2.resize(cv2.imread(str(s / "reference.png")), (640, 480)), cv2.COLOR_BGR2RGB)
rt.set_reference(ref)
n = ev.resize_aa(cv2.LUT(night, F_TABLE), (128, 128)); r = rt._ref["rgb"]
m = ssim_attention_map_np(n, None, rt.ssim, rt._ref["ssim_side"])
a = ev_old.evidence_stack(n, r, m); b = ev.evidence_stack(n, r, m, 2, 6); c = ev.evidence_stack(n, r, m)
pa, pb, pc = (ev.change_probability(x, rt.evidence) for x in (a, b, c))
print("old vs new(2,6) stack maxdiff", np.abs(a - b).max(), "prob", np.abs(pa - pb).max())
print("old vs fast stack maxdiff per map", np.abs(a - c).reshape(6, -1).max(1), "prob max", np.abs(pa - pc).max(), "mean", np.abs(pa-pc).mean())
st = ev.EvidenceState(refit_every=4)
for i in range(3):
    d = st.stack(n, r, m)
print("state vs fast", np.abs(d - c).max(), st.refits)
