"""Diagnostic after the held-out run (not tuning): where the late alerts of the round-4 cascade come from on the test set."""
import sys
sys.path.insert(0, "/work/plan/logs/i23g")
from common4 import *
head = VerifierHead.load(Path("cribwatch/weights/cry_verifier_onnx.npz"))
cfg = load_filter_config(None, Path("cribwatch/weights/cry_verifier_onnx.npz"))
d = SetData("test")
v = d.verifier(head)
rows = []
for f in d.s.files:
    labs = d.s.labels.get(f)
    if not labs:
        continue
    on, off = labs[0]
    c = d.c[f]; vv = v[f]
    t_end = np.arange(len(c)) * 0.5 + 1.0
    inside = (t_end > on)
    k_cnn = np.flatnonzero(inside & (c >= 0.98)); k_both = np.flatnonzero(inside & (c >= 0.98) & (vv >= 0.7))
    cs = np.where(c >= 0.98, vv, 0.0)
    infos = [WindowInfo(float(sv), b.level_db, b.voiced_share, b.voiced) for sv, b in zip(cs, d.base[f])]
    evs = [e for e in run_chain(infos, cfg) if e.offset > on - 1 and e.onset < off + 1]
    rows.append(dict(f=f, cnn=(t_end[k_cnn[0]] - on) if k_cnn.size else None, both=(t_end[k_both[0]] - on) if k_both.size else None,
                     alert=(evs[0].emitted - on) if evs else None))
found = [r for r in rows if r["alert"] is not None]
lat = np.array([r["alert"] for r in found])
late = [r for r in found if r["alert"] > 4.0]
print("found", len(found), "p90", np.percentile(lat, 90), "late >4 s:", len(late))
for r in late:
    print(r)
gap = [r["both"] - r["cnn"] for r in found if r["cnn"] is not None and r["both"] is not None]
print("both-minus-cnn first window (s): mean", np.mean(gap), "share 0:", np.mean(np.array(gap) == 0))
