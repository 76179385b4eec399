"""Round 3 stage M: the held-out run (once) of the round-3 pick and the shipped CNN."""
import sys
sys.path.insert(0, "/work/plan/logs/i23e")
from common import *
choice = json.load(open("/work/plan/logs/i23f/choice.json"))
head = VerifierHead.load(Path(choice["head_path"]))
gate, th = choice["gate"], choice["th"]
KEYS = ["sensitivity", "sensitivity_ci95", "sensitivity_real", "sensitivity_real_ci95", "sensitivity_synth", "far_per_hour", "far_per_hour_ci95",
        "far_per_hour_by_noise", "event_f1", "latency_p50_s", "latency_p90_s", "cries", "false_alarms", "hours"]
out = {"choice": choice}
for name in ("test", "ood", "real"):
    t = time.time()
    d = SetData(name)
    v = d.verifier(head)
    rows = {}
    r, _ = d.run(d.c, replace(CFG, threshold=0.991), sed=True); rows["cnn_shipped"] = r
    r, _ = d.run(cascade(d.c, v, gate), replace(CFG, threshold=th), sed=True); rows["cascade3"] = r
    duty = sum(int((d.c[f] >= gate).sum()) for f in d.s.files if not d.s.labels.get(f))
    free_h = sum(d.dur[f] for f in d.s.files if not d.s.labels.get(f)) / 3600
    out[name] = {k: {kk: rr.get(kk) for kk in KEYS + [x for x in rr if x.startswith("far_per_hour_by_source")]} for k, rr in rows.items()}
    out[name]["duty_windows_per_cryfree_hour"] = duty / free_h if free_h else None
    print(name, time.time() - t, json.dumps({k: (v_["sensitivity"], v_["sensitivity_real"], v_["far_per_hour"], v_["far_per_hour_ci95"], v_["latency_p50_s"], v_["latency_p90_s"], v_["event_f1"]) for k, v_ in out[name].items() if isinstance(v_, dict)}, default=str), flush=True)
    print(name, "by noise", json.dumps({k: v_.get("far_per_hour_by_noise") for k, v_ in out[name].items() if isinstance(v_, dict)}, default=str), flush=True)
    json.dump(out, open("/work/plan/logs/i23f/heldout3.json", "w"), indent=1, default=str)
res = {}
for fn in ("test.npz", "test3.npz"):
    nd = NegData.__new__(NegData)
    z = np.load(f"data/cry/negcache/{fn}")
    nd.fams = sorted({k.split("/")[0] for k in z.files}); nd.d = {}
    for fam in nd.fams:
        g = {k.split("/")[1]: z[k] for k in z.files if k.startswith(fam + "/")}
        base = infos_from(np.zeros(len(g["cnn"])), g["power"], cry_voiced(g["f0"], g["harm"], CFG), CFG)
        nd.d[fam] = dict(c=g["cnn"], s=g["s"], e=g["e"], dur=float(g["dur"][0]), base=base, m=g["cnn"] >= 0.5)
    res.setdefault("cnn_shipped", {}).update(nd.fa(None, 0, replace(CFG, threshold=0.991)))
    res.setdefault("cascade3", {}).update(nd.fa(head, gate, replace(CFG, threshold=th)))
out["negatives_test"] = res
print("neg test", json.dumps(res), flush=True)
json.dump(out, open("/work/plan/logs/i23f/heldout3.json", "w"), indent=1, default=str)
