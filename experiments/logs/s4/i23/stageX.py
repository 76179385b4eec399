"""Round 6 stage X: train H6 / H6w (fit only), then the valA grid of R4, H6, H6w (rule in cry-pretrained.md, round 6)."""
from common6 import *
import torch; torch.set_num_threads(1)
t0 = time.time()
fit = load_set(Path("data/cry/fit1"))
sc, em, m = set_embeddings(fit, model=ONNX_WEIGHTS, select=partial(training_selection, fit), tag="train-v2")
x, y, w = training_windows([(fit, sc, m)], embeddings=[em])
z = np.load("data/cry/negcache/fit_onnx6.npz")
xn, cn, fam = z["x"], z["c"], z["fam"]
print("fit1 rows", x.shape, "cry", int(y.sum()), "neg rows", xn.shape, "cnn>=0.5", int((cn >= 0.5).sum()),
      {f: (int((fam == f).sum()), int(((fam == f) & (cn >= 0.5)).sum())) for f in sorted(set(fam))}, flush=True)
for name, mult in (("H6", 3.0), ("H6w", 10.0)):
    if HEADS[name].is_file():
        continue
    wn = np.where(cn >= 0.5, mult, 1.0) * w[y == 0].mean()
    X = np.concatenate([x, xn]); Y = np.concatenate([y, np.zeros(len(xn))]); W = balance(Y, np.concatenate([w, wn]))
    h = train_verifier(X, Y, W, hidden=32, steps=2000, seed=0, kind="embedding")
    h.save(HEADS[name])
    print("trained", name, round(time.time() - t0), flush=True)
val = SetData("valA")
nv = NegData(["val_onnx6.npz"])
KN = [(1, 1), (2, 2), (2, 3)]
rows = []
for hn, hp in HEADS.items():
    head = VerifierHead.load(hp)
    v = val.verifier(head)
    def add(fam_, gate, th, t2, k, n, cs):
        r, outs = val.run(cs, replace(CFG4, threshold=th, k_on=k, n_on=n))
        q = dict(head=hn, fam=fam_, gate=gate, th=th, t2=t2, k=k, n=n, **row(r, outs), by_noise=r["far_per_hour_by_noise"])
        rows.append(q)
        return q
    for g in [0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.98]:
        cs = cascade(val.c, v, g)
        for th in [0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.98, 0.99, 0.995, 0.999]:
            for k, n in KN:
                add("A", g, th, None, k, n, cs)
    for glo in [0.5, 0.7, 0.8, 0.9, 0.95]:
        for t2 in [0.9, 0.95, 0.98, 0.99, 0.995, 0.999]:
            cs = two_tier(val.c, v, glo, t2)
            for th in [0.6, 0.7, 0.8]:
                for k, n in KN:
                    add("B", glo, th, t2, k, n, cs)
    print("grid", hn, round(time.time() - t0), flush=True)
    json.dump(rows, open(L6 / "stageX.json", "w"), indent=0)
r4 = [q for q in rows if is4(q)][0]
print("ROUND4", r4, flush=True)
ok = sorted([q for q in rows if q["far"] <= 0.5 + 1e-9 and q["found"] >= r4["found"] and q["nreal"] >= r4["nreal"]], key=key, reverse=True)
print("eligible", len(ok), flush=True)
for q in ok[:12]:
    print(q, flush=True)
pick = ok[0]
ok1 = sorted([q for q in rows if q["far"] <= 1.0 + 1e-9], key=key, reverse=True)
info = ok1[0]
print("PICK", pick, flush=True)
print("INFO", info, flush=True)
# best per head and gate (for the doc table)
summary = {}
for hn in HEADS:
    for fam_, gates in (("A", [0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.98]), ("B", [0.5, 0.7, 0.8, 0.9, 0.95])):
        for g in gates:
            sel = [q for q in rows if q["head"] == hn and q["fam"] == fam_ and q["gate"] == g]
            b5 = sorted([q for q in sel if q["far"] <= 0.5 + 1e-9], key=key, reverse=True)
            b1 = sorted([q for q in sel if q["far"] <= 1.0 + 1e-9], key=key, reverse=True)
            low = min(sel, key=lambda q: (q["fa"], -q["found"]))
            summary[f"{hn} {fam_} {g}"] = dict(b05=b5[0] if b5 else None, b10=b1[0] if b1 else None, fewest=low)
            print("BEST", hn, fam_, g, "<=0.5:", {k: b5[0][k] for k in ("th", "t2", "k", "n", "found", "nreal", "fa", "timely", "lat50", "lat90")} if b5 else None,
                  "| <=1.0:", {k: b1[0][k] for k in ("th", "t2", "k", "n", "found", "nreal", "fa", "timely", "lat50", "lat90")} if b1 else None,
                  "| fewest:", {k: low[k] for k in ("th", "k", "n", "far", "found")}, flush=True)
# negatives' val part, per family, at a few points of each head
negval = {}
for hn, hp in HEADS.items():
    head = VerifierHead.load(hp)
    for lab, q in (("r4cfg", r4), ("pick", pick), ("info", info)):
        if lab != "r4cfg" and q["head"] != hn:
            continue
        mk, cfg = system(q)
        negval[f"{hn} {lab}"] = nv.fa(head, q["gate"], cfg) if q["fam"] == "A" else None
    print("NEGVAL", hn, {k: v for k, v in negval.items() if k.startswith(hn)}, flush=True)
json.dump({"pick": pick, "round4": r4, "info": info, "summary": summary, "negval": negval}, open(L6 / "pick6.json", "w"), indent=1)
print("done", round(time.time() - t0), flush=True)
