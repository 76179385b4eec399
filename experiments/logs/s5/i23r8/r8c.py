"""Round 8c (rule in docs/results/cry-pretrained.md): the default head R4 on YAMNet's ONNX embedding of every
window, no first stage. Usage: r8c.py val | held"""
import sys
sys.path.insert(0, "/work/plan/logs/i23h")
from common5 import *  # noqa
L8 = Path("/work/plan/logs/s5/i23r8")
t0 = time.time()
head = VerifierHead.load(HEAD)


def all_verifier(S, tag):
    sc, em, mk = set_embeddings(S.s, model=ONNX_WEIGHTS, select=lambda f, n: None, tag=tag)
    out = {}
    for f in S.s.files:
        n = len(S.c[f])
        v = np.zeros(n)
        m = min(n, len(sc[f]))
        if m:
            v[:m] = head(sc[f][:m] / 256.0, dequantize_embedding(em[f][:m]))
        out[f] = v
    return out


KEYS = ["sensitivity", "sensitivity_ci95", "sensitivity_real", "sensitivity_real_ci95", "sensitivity_synth", "far_per_hour",
        "far_per_hour_ci95", "far_per_hour_by_noise", "event_f1", "latency_p50_s", "latency_p90_s", "cries", "false_alarms", "hours"]
if sys.argv[1] == "val":
    val = SetData("valA")
    V = all_verifier(val, "cnn>=0.5ctx2")  # round 7's cache of every valA window
    print("verifier on all windows", round(time.time() - t0), flush=True)
    rows = []
    for th in (0.5, 0.7, 0.9, 0.95, 0.98, 0.99, 0.995, 0.999, 0.9995, 0.9999):
        for k, n in ((1, 1), (2, 2), (2, 3), (3, 3)):
            r, outs = val.run(V, replace(CFG4, threshold=th, k_on=k, n_on=n))
            rows.append(dict(th=th, k=k, n=n, **row(r, outs), by_noise=r["far_per_hour_by_noise"]))
    key = lambda q: (q["timely"], -q["lat90"], q["nreal"], -q["fa"], q["th"], -(q["k"] + q["n"]))
    ok = sorted([q for q in rows if q["far"] <= 0.5 + 1e-9 and q["found"] >= 91 and q["nreal"] >= 42], key=key, reverse=True)
    b5 = sorted([q for q in rows if q["far"] <= 0.5 + 1e-9], key=key, reverse=True)
    b1 = sorted([q for q in rows if q["far"] <= 1.0 + 1e-9], key=key, reverse=True)
    low = min(rows, key=lambda q: (q["fa"], -q["found"]))
    K = ("th", "k", "n", "found", "nreal", "fa", "far", "timely", "lat50", "lat90")
    for nm, q in (("eligible", ok[0] if ok else None), ("best<=0.5", b5[0] if b5 else None), ("best<=1.0", b1[0] if b1 else None), ("fewest", low)):
        print(nm, None if q is None else {k: q[k] for k in K}, None if q is None else q["by_noise"], flush=True)
    json.dump({"rows": rows, "eligible": ok[:5]}, open(L8 / "val8c.json", "w"), indent=0, default=float)
    print("done", round(time.time() - t0), flush=True)
