"""Round 5 stage U: held-out run (once): round 4 and the declared information row (A, gate 0.95, threshold 0.98, 1/1)."""
from common5 import *
head = VerifierHead.load(HEAD)
SYS = {"round4": (0.98, CFG4), "info_gate0.95_th0.98": (0.95, replace(CFG4, threshold=0.98, k_on=1, n_on=1))}
KEYS = ["sensitivity", "sensitivity_ci95", "sensitivity_real", "sensitivity_real_ci95", "sensitivity_synth", "far_per_hour", "far_per_hour_ci95",
        "far_per_hour_by_noise", "event_f1", "latency_p50_s", "latency_p90_s", "cries", "false_alarms", "hours"]
out = {}
for name in ("test", "ood", "real"):
    t = time.time()
    d = SetData(name)
    v = d.verifier(head)
    rows = {}
    for k, (g, cfg) in SYS.items():
        r, outs = d.run(cascade(d.c, v, g), cfg, sed=True)
        rows[k] = {kk: r.get(kk) for kk in KEYS}
        rows[k]["timely"] = timely(outs); rows[k]["found_real"] = sum(1 for o in outs if o.found and o.source == "real")
    free = [f for f in d.s.files if not d.s.labels.get(f)]
    fh = sum(d.dur[f] for f in free) / 3600
    rows["duty_windows_per_cryfree_hour"] = {g: (sum(int((d.c[f] >= g).sum()) for f in free) / fh if fh else None) for g in (0.5, 0.8, 0.9, 0.95, 0.98)}
    rows["cryfree_hours"] = fh
    out[name] = rows
    print(name, round(time.time() - t), json.dumps(rows, default=str), flush=True)
    json.dump(out, open("/work/plan/logs/i23h/heldout5.json", "w"), indent=1, default=str)
nd = NegData(["test_onnx.npz"])
out["negatives_test"] = {k: nd.fa(head, g, cfg) for k, (g, cfg) in SYS.items()}
print("neg test", json.dumps(out["negatives_test"]), flush=True)
json.dump(out, open("/work/plan/logs/i23h/heldout5.json", "w"), indent=1, default=str)
