"""Round 4 stage Q: the latency step on valA (rule in cry-pretrained.md): variants of the pick's config."""
import sys, itertools
sys.path.insert(0, "/work/plan/logs/i23g")
from common4 import *
pick = json.load(open("/work/plan/logs/i23g/pick.json"))
head = VerifierHead.load(Path("cribwatch/weights/cry_verifier_emb3.npz") if pick["head"].startswith("a") else Path("/work/plan/logs/i23g/head-onnx.npz"))
val = SetData("valA")
cs = cascade(val.c, val.verifier(head), pick["gate"])
base = replace(CFG, threshold=pick["th"])
r0, _ = val.run(cs, base)
print("pick config", r0["sensitivity"], r0["sensitivity_real"], r0["far_per_hour"], r0["latency_p50_s"], r0["latency_p90_s"], flush=True)
rows = []
for mb, (k, n), cf in itertools.product((1.5, 1.0, 0.5), ((2, 3), (2, 2), (1, 1)), (0.0, 0.9, 0.95, 0.98, 0.99)):
    cfg = replace(base, min_bout_s=mb, k_on=k, n_on=n, confirm_score=cf)
    r, _ = val.run(cs, cfg)
    changes = (mb != base.min_bout_s) + ((k, n) != (base.k_on, base.n_on)) + (cf != base.confirm_score)
    row = dict(min_bout_s=mb, k_on=k, n_on=n, confirm=cf, changes=int(changes), sens=r["sensitivity"], real=r["sensitivity_real"], far=r["far_per_hour"], lat50=r["latency_p50_s"], lat90=r["latency_p90_s"], f1=r.get("event_f1"))
    rows.append(row); print(row, flush=True)
ok = [q for q in rows if q["far"] <= 0.5 and q["sens"] >= r0["sensitivity"] - 1e-12 and q["real"] >= r0["sensitivity_real"] - 1e-12]
best = min(ok, key=lambda q: (q["lat90"], q["changes"], -q["confirm"]))
print("LATENCY PICK", best, flush=True)
json.dump({"pick": pick, "pick_row": {k: r0[k] for k in ("sensitivity", "sensitivity_real", "far_per_hour", "latency_p50_s", "latency_p90_s")}, "rows": rows, "best": best}, open("/work/plan/logs/i23g/stageQ.json", "w"), indent=1)
