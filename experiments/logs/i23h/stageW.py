"""Round 5 stage W (valA only, diagnostic for a next round; no held-out run): a head retrained by the round-3 recipe
but with the negatives' windows the CNN scores >= 0.5 weighted 10x (not 3x); grid gate x threshold x k/n on valA."""
from common5 import *
import torch; torch.set_num_threads(1)
t0 = time.time()
fit = load_set(Path("data/cry/fit1"))
sc, em, m = set_embeddings(fit, model=ONNX_WEIGHTS, select=partial(training_selection, fit), tag="train-v2")
x, y, w = training_windows([(fit, sc, m)], embeddings=[em])
z = np.load("data/cry/negcache/fit_onnx.npz")
xn, cn = z["x"], z["c"]
res = {}
val = SetData("valA")
for mult in (10.0,):
    wn = np.where(cn >= 0.5, mult, 1.0) * w[y == 0].mean()
    X = np.concatenate([x, xn]); Y = np.concatenate([y, np.zeros(len(xn))]); W = balance(Y, np.concatenate([w, wn]))
    h = train_verifier(X, Y, W, hidden=32, steps=2000, seed=0, kind="embedding")
    h.save(Path(f"/work/plan/logs/i23h/head-w{int(mult)}.npz"))
    print("trained", mult, round(time.time() - t0), flush=True)
    v = val.verifier(h)
    rows = []
    for g in [0.8, 0.9, 0.95, 0.98]:
        cs = cascade(val.c, v, g)
        for th in [0.5, 0.7, 0.9, 0.95, 0.98, 0.99, 0.995, 0.999]:
            for k, n in [(1, 1), (2, 2)]:
                r, outs = val.run(cs, replace(CFG4, threshold=th, k_on=k, n_on=n))
                rows.append(dict(gate=g, th=th, k=k, n=n, **row(r, outs)))
    for lim in (0.5, 1.0):
        for g in [0.8, 0.9, 0.95, 0.98]:
            c = [q for q in rows if q["gate"] == g and q["far"] <= lim + 1e-9]
            print(mult, lim, g, max(c, key=lambda q: (q["timely"], -q["lat90"], q["nreal"], -q["fa"])) if c else None, flush=True)
    res[mult] = rows
json.dump(res, open("/work/plan/logs/i23h/stageW.json", "w"))
