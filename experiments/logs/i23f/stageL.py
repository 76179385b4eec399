"""Round 3 stage L: train the embedding head on fit1 + every negatives family (incl. animals,
household), grid gate x threshold on the full valA (the round-2 head alongside), val part per family."""
import sys
sys.path.insert(0, "/work/plan/logs/i23e")
from common import *
import torch; torch.set_num_threads(1)
t0 = time.time()
fit = load_set(Path("data/cry/fit1"))
sc, em, m = set_embeddings(fit, select=partial(training_selection, fit), tag="train-v2")
x, y, w = training_windows([(fit, sc, m)], embeddings=[em])
n2, n3 = np.load("data/cry/negcache/fit.npz"), np.load("data/cry/negcache/fit3.npz")
xn = np.concatenate([np.concatenate([n2["s"], n2["e"]], axis=1), np.concatenate([n3["s"], n3["e"]], axis=1)])
cn = np.concatenate([n2["c"], n3["c"]])
wn = np.where(cn >= 0.5, 3.0, 1.0) * w[y == 0].mean()
print("fit rows", len(y), "neg rows", len(xn), "new", len(n3["c"]), "new cnn>=0.5", int((n3["c"] >= 0.5).sum()), flush=True)
X = np.concatenate([x, xn]); Y = np.concatenate([y, np.zeros(len(xn))]); W = balance(Y, np.concatenate([w, wn]))
h3 = train_verifier(X, Y, W, hidden=32, steps=2000, seed=0, kind="embedding")
h3.save(Path("/work/plan/logs/i23f/head-embedding_neg3.npz"))
print("trained", time.time() - t0, flush=True)
heads = {"embedding+neg (round 2)": VerifierHead.load(Path("/work/plan/logs/i23e/head-embedding_neg.npz")), "embedding+neg3": h3}
val = SetData("valA")
print("valA loaded", time.time() - t0, flush=True)
TH = [0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.98, 0.99, 0.995, 0.999]
GATES = [0.5, 0.7, 0.8, 0.9, 0.95, 0.98]
res = []
for name, h in heads.items():
    v = val.verifier(h)
    for g in GATES:
        cs = cascade(val.c, v, g)
        for th in TH:
            r, _ = val.run(cs, replace(CFG, threshold=th))
            res.append(dict(head=name, gate=g, th=th, sens=r["sensitivity"], real=r["sensitivity_real"], synth=r["sensitivity_synth"], far=r["far_per_hour"], fa=r.get("false_alarms"), lat50=r["latency_p50_s"], lat90=r["latency_p90_s"]))
    for lim in (0.5, 1.0):
        best = max([q for q in res if q["head"] == name and q["far"] <= lim], key=lambda q: (q["sens"], -q["far"], q["th"], q["gate"]), default=None)
        print(name, f"best<={lim}FA/h", best, time.time() - t0, flush=True)
for th in [0.95, 0.97, 0.98, 0.985, 0.99, 0.991, 0.995, 0.999]:
    r, _ = val.run(val.c, replace(CFG, threshold=th))
    res.append(dict(head="cnn", gate=0, th=th, sens=r["sensitivity"], real=r["sensitivity_real"], synth=r["sensitivity_synth"], far=r["far_per_hour"], lat50=r["latency_p50_s"], lat90=r["latency_p90_s"]))
    print("cnn", res[-1], flush=True)
json.dump(res, open("/work/plan/logs/i23f/stageL.json", "w"))
# val part of the negatives, per family (old families from val.npz, new from val3.npz)
for f in ("val", "val3"):
    import shutil
for split in ("val",):
    out = {}
    for fn in ("val.npz", "val3.npz"):
        nd = NegData.__new__(NegData)
        z = np.load(f"data/cry/negcache/{fn}")
        nd.fams = sorted({k.split("/")[0] for k in z.files}); nd.d = {}
        for fam in nd.fams:
            g = {k.split("/")[1]: z[k] for k in z.files if k.startswith(fam + "/")}
            base = infos_from(np.zeros(len(g["cnn"])), g["power"], cry_voiced(g["f0"], g["harm"], CFG), CFG)
            nd.d[fam] = dict(c=g["cnn"], s=g["s"], e=g["e"], dur=float(g["dur"][0]), base=base, m=g["cnn"] >= 0.5)
        for th in (0.991, 0.97):
            out.setdefault(f"cnn {th}", {}).update(nd.fa(None, 0, replace(CFG, threshold=th)))
        for name, h in heads.items():
            for g, th in ((0.95, 0.7), (0.95, 0.9), (0.95, 0.99), (0.98, 0.7)):
                out.setdefault(f"{name} {g} {th}", {}).update(nd.fa(h, g, replace(CFG, threshold=th)))
    print("negatives val per family", json.dumps(out), flush=True)
    json.dump(out, open("/work/plan/logs/i23f/stageL-negval.json", "w"))
