"""Round 6 stage Z: the held-out run (once): the pick (= round 4: R4, gate 0.98, 0.7, 1/1) and the declared
information row (T6, gate 0.9, threshold 0.999, 1/1) on test, ood, real; negatives' test part per family."""
from common6 import *
from cribwatch.cry import negatives as ng
from cribwatch.cry.postprocess import infos_from
from cribwatch.cry.yamnet import Yamnet, window_patches
t00 = time.time()
def ctx(E):
    p1 = np.concatenate([E[:1], E[:-1]]); p2 = np.concatenate([E[:1], E[:1], E[:-2]])[: len(E)]
    return np.concatenate([E, (E + p1 + p2) / 3.0, np.maximum(np.maximum(E, p1), p2)], axis=1)
def dil(m):
    m2 = m.copy(); m2[:-1] |= m[1:]; m2[:-2] |= m[2:]; return m2
def load_head(p):
    z = np.load(p); return VerifierHead(z["mean"], z["std"], z["w1"], z["b1"], z["w2"], float(z["b2"][0]), "embedding")
R4 = VerifierHead.load(HEAD); T6 = load_head(L6 / "head-t6.npz")
CFG_T6 = replace(CFG4, threshold=0.999, k_on=1, n_on=1)
KEYS = ["sensitivity", "sensitivity_ci95", "sensitivity_real", "sensitivity_real_ci95", "sensitivity_synth", "far_per_hour", "far_per_hour_ci95",
        "far_per_hour_by_noise", "event_f1", "latency_p50_s", "latency_p90_s", "cries", "false_alarms", "hours"]
out = {}
for name in ("test", "ood", "real"):
    t = time.time()
    d = SetData(name)
    v4 = d.verifier(R4)
    sc_c, em_c, mk_c = set_embeddings(d.s, model=ONNX_WEIGHTS, select=lambda f, n: dil(np.asarray(d.c[f][:n] >= 0.5)), tag="cnn>=0.5ctx2")
    vt = {}
    for f in d.s.files:
        v = np.zeros(len(d.c[f])); idx = np.flatnonzero(d.c[f] >= 0.5); idx = idx[idx < len(em_c[f])]
        if idx.size:
            v[idx] = T6(np.zeros((len(idx), 521)), ctx(dequantize_embedding(em_c[f]))[idx])
        vt[f] = v
    rows = {}
    for k, (scores, g, cfg) in {"round4_pick": (v4, 0.98, CFG4), "info_T6_gate0.9_th0.999": (vt, 0.9, CFG_T6)}.items():
        r, outs = d.run(cascade(d.c, scores, g), cfg, sed=True)
        rows[k] = {kk: r.get(kk) for kk in KEYS}
        rows[k]["timely"] = timely(outs); rows[k]["found_real"] = sum(1 for o in outs if o.found and o.source == "real")
        rows[k]["found"] = sum(1 for o in outs if o.found)
    free = [f for f in d.s.files if not d.s.labels.get(f)]
    fh = sum(d.dur[f] for f in free) / 3600
    rows["duty_windows_per_cryfree_hour"] = {g: (sum(int((d.c[f] >= g).sum()) for f in free) / fh if fh else None) for g in (0.9, 0.98)}
    rows["cryfree_hours"] = fh
    out[name] = rows
    print(name, round(time.time() - t), json.dumps(rows, default=str), flush=True)
    json.dump(out, open(L6 / "heldout6.json", "w"), indent=1, default=str)
nd = NegData(["test_onnx6.npz"])
res = {"round4_pick": nd.fa(R4, 0.98, CFG4)}
# T6 on the negatives' test part: re-render each family's recording (seed 100 + k), YAMNet on CNN>=0.5 windows and predecessors
yam = Yamnet(ONNX_WEIGHTS, embedding=True)
files = ng.negative_files(Path("data/negatives"), "test"); fam_t6 = {}
for k, (fam, fl) in enumerate(files.items()):
    x, spans = ng.family_recording(fl, seed=100 + k)
    g = nd.d[fam]; c = g["c"]; p = window_patches(x, 8000, len(c))
    m = dil(c >= 0.5); m[len(p):] = False; idx = np.flatnonzero(m)
    E = np.zeros((len(c), 1024))
    if idx.size:
        E[idx] = dequantize_embedding(yam.embed(p[idx])[1])
    v = np.zeros(len(c)); sel = np.flatnonzero((c >= 0.5)[: len(p)])
    if sel.size:
        v[sel] = T6(np.zeros((len(sel), 521)), ctx(E)[sel])
    sc = np.where(c >= 0.9, v, 0.0)
    infos = [WindowInfo(float(a), b.level_db, b.voiced_share, b.voiced) for a, b in zip(sc, g["base"])]
    evs = run_chain(infos, CFG_T6)
    fam_t6[fam] = (float(sum(1 + np.floor((e.offset - e.onset) / 5.0) for e in evs)), g["dur"] / 3600)
res["info_T6_gate0.9_th0.999"] = fam_t6
out["negatives_test"] = res
print("neg test", json.dumps(res), flush=True)
json.dump(out, open(L6 / "heldout6.json", "w"), indent=1, default=str)
print("done", round(time.time() - t00), flush=True)
