"""Round 4 stage R: the held-out run (once): round-4 choice (ONNX), round-3 cascade (TFLite), shipped CNN."""
import sys
sys.path.insert(0, "/work/plan/logs/i23g")
from common4 import *
q = json.load(open("/work/plan/logs/i23g/stageQ.json"))
pick, best = q["pick"], q["best"]
head4 = VerifierHead.load(Path("cribwatch/weights/cry_verifier_emb3.npz") if pick["head"].startswith("a") else Path("/work/plan/logs/i23g/head-onnx.npz"))
head3 = VerifierHead.load(Path("cribwatch/weights/cry_verifier_emb3.npz"))
cfg4 = replace(CFG, threshold=pick["th"], min_bout_s=best["min_bout_s"], k_on=best["k_on"], n_on=best["n_on"], confirm_score=best["confirm"])
gate4 = pick["gate"]
KEYS = ["sensitivity", "sensitivity_ci95", "sensitivity_real", "sensitivity_real_ci95", "sensitivity_synth", "far_per_hour", "far_per_hour_ci95",
        "far_per_hour_by_noise", "event_f1", "latency_p50_s", "latency_p90_s", "cries", "false_alarms", "hours"]
out = {"pick": pick, "latency": best, "cfg4": cfg4.to_dict()}
for name in ("test", "ood", "real"):
    t = time.time()
    d = SetData(name, models=(("onnx", ONNX_WEIGHTS), ("tfl", WEIGHTS)))
    rows = {}
    r, _ = d.run(d.c, replace(CFG, threshold=0.991), sed=True); rows["cnn_shipped"] = r
    r, _ = d.run(cascade(d.c, d.verifier(head3, "tfl"), 0.98), replace(CFG, threshold=0.6), sed=True); rows["cascade3_litert"] = r
    v4 = d.verifier(head4, "onnx")
    r, _ = d.run(cascade(d.c, v4, gate4), cfg4, sed=True); rows["cascade4_onnx"] = r
    if cfg4 != replace(CFG, threshold=pick["th"]):
        r, _ = d.run(cascade(d.c, v4, gate4), replace(CFG, threshold=pick["th"]), sed=True); rows["cascade4_onnx_pick_config"] = r
    free = [f for f in d.s.files if not d.s.labels.get(f)]
    free_h = sum(d.dur[f] for f in free) / 3600
    out[name] = {k: {kk: rr.get(kk) for kk in KEYS + [x for x in rr if x.startswith("far_per_hour_by_source")]} for k, rr in rows.items()}
    out[name]["duty_windows_per_cryfree_hour"] = {"gate4": sum(int((d.c[f] >= gate4).sum()) for f in free) / free_h if free_h else None,
                                                  "gate0.98": sum(int((d.c[f] >= 0.98).sum()) for f in free) / free_h if free_h else None}
    print(name, round(time.time() - t), json.dumps({k: (v_["sensitivity"], v_["sensitivity_real"], v_["far_per_hour"], v_["far_per_hour_ci95"], v_["latency_p50_s"], v_["latency_p90_s"], v_["event_f1"]) for k, v_ in out[name].items() if isinstance(v_, dict) and "sensitivity" in v_}, default=str), flush=True)
    print(name, "by noise", json.dumps({k: v_.get("far_per_hour_by_noise") for k, v_ in out[name].items() if isinstance(v_, dict) and "sensitivity" in v_}, default=str), flush=True)
    json.dump(out, open("/work/plan/logs/i23g/heldout4.json", "w"), indent=1, default=str)
res = {}
nd4 = NegData(["test_onnx.npz"])
nd3 = NegData(["test.npz", "test3.npz"])
res["cnn_shipped"] = nd3.fa(None, 0, replace(CFG, threshold=0.991))
res["cascade3_litert"] = nd3.fa(head3, 0.98, replace(CFG, threshold=0.6))
res["cascade4_onnx"] = nd4.fa(head4, gate4, cfg4)
out["negatives_test"] = res
print("neg test", json.dumps(res), flush=True)
json.dump(out, open("/work/plan/logs/i23g/heldout4.json", "w"), indent=1, default=str)
