"""Round 4 stage P: train the embedding head on the ONNX embedding (fit1 + negatives fit part),
grid gate x threshold on the full valA for (a) the round-3 head fed the ONNX embedding and (b) the new head."""
import sys
sys.path.insert(0, "/work/plan/logs/i23g")
from common4 import *
import torch; torch.set_num_threads(1)
t0 = time.time()
fit = load_set(Path("data/cry/fit1"))
sc, em, m = set_embeddings(fit, model=ONNX_WEIGHTS, select=partial(training_selection, fit), tag="train-v2")
x, y, w = training_windows([(fit, sc, m)], embeddings=[em])
z = np.load("data/cry/negcache/fit_onnx.npz")
xn, cn = z["x"], z["c"]
wn = np.where(cn >= 0.5, 3.0, 1.0) * w[y == 0].mean()
print("fit rows", len(y), "neg rows", len(xn), "cnn>=0.5", int((cn >= 0.5).sum()), flush=True)
X = np.concatenate([x, xn]); Y = np.concatenate([y, np.zeros(len(xn))]); W = balance(Y, np.concatenate([w, wn]))
h4 = train_verifier(X, Y, W, hidden=32, steps=2000, seed=0, kind="embedding")
h4.save(Path("/work/plan/logs/i23g/head-onnx.npz"))
print("trained", time.time() - t0, flush=True)
heads = {"a: round-3 head on ONNX emb": VerifierHead.load(Path("cribwatch/weights/cry_verifier_emb3.npz")), "b: new head on ONNX emb": h4}
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
json.dump(res, open("/work/plan/logs/i23g/stageP.json", "w"))
cands = [q for q in res if q["far"] <= 0.5]
pick = max(cands, key=lambda q: (q["sens"], -q["far"], q["th"], q["gate"], q["head"].startswith("b")))
print("PICK", pick, flush=True)
json.dump(pick, open("/work/plan/logs/i23g/pick.json", "w"))
for th in [0.99, 0.991]:
    r, _ = val.run(val.c, replace(CFG, threshold=th))
    print("cnn", th, r["sensitivity"], r["sensitivity_real"], r["far_per_hour"], flush=True)
