"""Round 7 held-out run (once, after the valA decision is committed): round 4, the pick and the information row
(from pick7.json) on test, ood, real; negatives' test part per family (round 7's recordings included)."""
import sys
sys.path.insert(0, "/work/plan/logs/s4/i23")
from common6 import *  # noqa
L7 = Path("/work/plan/logs/s4/i23r7")
t00 = time.time()
def ctx(E):
    p1 = np.concatenate([E[:1], E[:-1]]); p2 = np.concatenate([E[:1], E[:1], E[:-2]])[: len(E)]
    return np.concatenate([E, (E + p1 + p2) / 3.0, np.maximum(np.maximum(E, p1), p2)], axis=1)
def dil(m):
    m2 = m.copy(); m2[:-1] |= m[1:]; m2[:-2] |= m[2:]; return m2
def load_ctx_head(p):
    z = np.load(p); return VerifierHead(z["mean"], z["std"], z["w1"], z["b1"], z["w2"], float(z["b2"][0]), "embedding")
HP = {"R4": HEAD, "H7": L7 / "head-h7.npz", "T6": L6 / "head-t6.npz", "T7": L7 / "head-t7.npz", "T7a": L7 / "head-t7a.npz"}
H = {k: (VerifierHead.load(p) if k in ("R4", "H7") else load_ctx_head(p)) for k, p in HP.items()}
P = json.load(open(L7 / "pick7.json"))
SYS = {"round4": P["round4"], "pick": P["pick"], "info": P["info"]}
print({k: {kk: q[kk] for kk in ("head", "fam", "gate", "th", "t2", "k", "n")} for k, q in SYS.items()}, flush=True)
def heads_of(q):
    return q["head"].split("+")
def system_scores(q, c, V):
    if q["fam"] == "A":
        return cascade(c, V[q["head"]], q["gate"]), replace(CFG4, threshold=q["th"], k_on=q["k"], n_on=q["n"])
    a, b = heads_of(q)
    return ({f: np.where((c[f] >= q["gate"]) & (V[a][f] >= q["th"]) & (V[b][f] >= q["t2"]), 1.0, 0.0) for f in c},
            replace(CFG4, threshold=0.5, k_on=q["k"], n_on=q["n"]))
need = sorted({h for q in SYS.values() for h in heads_of(q)})
KEYS = ["sensitivity", "sensitivity_ci95", "sensitivity_real", "sensitivity_real_ci95", "sensitivity_synth", "far_per_hour", "far_per_hour_ci95",
        "far_per_hour_by_noise", "event_f1", "latency_p50_s", "latency_p90_s", "cries", "false_alarms", "hours"]
out = {}
for name in ("test", "ood", "real"):
    t = time.time()
    d = SetData(name)
    V = {}
    if any(h in ("T6", "T7", "T7a") for h in need):
        sc_c, em_c, mk_c = set_embeddings(d.s, model=ONNX_WEIGHTS, select=lambda f, n: dil(np.asarray(d.c[f][:n] >= 0.5)), tag="cnn>=0.5ctx2")
    for h in need:
        if h in ("R4", "H7"):
            V[h] = d.verifier(H[h]); continue
        vt = {}
        for f in d.s.files:
            v = np.zeros(len(d.c[f])); idx = np.flatnonzero(d.c[f] >= 0.5); idx = idx[idx < len(em_c[f])]
            if idx.size:
                v[idx] = H[h](np.zeros((len(idx), 521)), ctx(dequantize_embedding(em_c[f]))[idx])
            vt[f] = v
        V[h] = vt
    rows = {}
    for k, q in SYS.items():
        cs, cfg = system_scores(q, d.c, V)
        r, outs = d.run(cs, cfg, sed=True)
        rows[k] = {kk: r.get(kk) for kk in KEYS}
        rows[k]["timely"] = timely(outs); rows[k]["found_real"] = sum(1 for o in outs if o.found and o.source == "real")
        rows[k]["found"] = sum(1 for o in outs if o.found)
    free = [f for f in d.s.files if not d.s.labels.get(f)]
    fh = sum(d.dur[f] for f in free) / 3600
    rows["duty_windows_per_cryfree_hour"] = {g: (sum(int((d.c[f] >= g).sum()) for f in free) / fh if fh else None) for g in (0.9, 0.95, 0.98)}
    out[name] = rows
    print(name, round(time.time() - t), json.dumps(rows, default=str), flush=True)
    json.dump(out, open(L7 / "heldout7.json", "w"), indent=1, default=str)
# negatives' test part, per family
z = np.load("data/cry/negcache/test_onnx7.npz")
fams = sorted({k.split("/")[0] for k in z.files})
res = {k: {} for k in SYS}
for fam in fams:
    g = {k.split("/")[1]: z[k] for k in z.files if k.startswith(fam + "/")}
    base = infos_from(np.zeros(len(g["cnn"])), g["power"], cry_voiced(g["f0"], g["harm"], CFG), CFG)
    c = g["cnn"]; idx = np.flatnonzero(c >= 0.5); V = {}
    for h in need:
        v = np.zeros(len(c))
        if idx.size:
            if h in ("R4", "H7"):
                v[idx] = H[h](g["s"][idx] / 256.0, dequantize_embedding(g["e"][idx]))
            else:
                v[idx] = H[h](np.zeros((len(idx), 521)), ctx(dequantize_embedding(g["e"]))[idx])
        V[h] = {fam: v}
    for k, q in SYS.items():
        cs, cfg = system_scores(q, {fam: c}, V)
        infos = [WindowInfo(float(a), b.level_db, b.voiced_share, b.voiced) for a, b in zip(cs[fam], base)]
        evs = run_chain(infos, cfg)
        res[k][fam] = (float(sum(1 + np.floor((e.offset - e.onset) / 5.0) for e in evs)), float(g["dur"][0]) / 60)
out["negatives_test_alarms_minutes"] = res
print("neg test", json.dumps(res), flush=True)
json.dump(out, open(L7 / "heldout7.json", "w"), indent=1, default=str)
print("done", round(time.time() - t00), flush=True)
