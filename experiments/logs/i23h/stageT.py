"""Round 5 stage T: the valA grid (rule in cry-pretrained.md, round 5)."""
from common5 import *
t0 = time.time()
head = VerifierHead.load(HEAD)
val = SetData("valA")
v = val.verifier(head)
print("loaded", round(time.time() - t0), "cfg4", CFG4.threshold, CFG4.k_on, CFG4.n_on, CFG4.min_bout_s, CFG4.confirm_score, flush=True)
KN = [(1, 1), (2, 2), (2, 3)]
rows = []
def add(fam, gate, th, t2, k, n, cs):
    r, outs = val.run(cs, replace(CFG4, threshold=th, k_on=k, n_on=n))
    q = dict(fam=fam, gate=gate, th=th, t2=t2, k=k, n=n, **row(r, outs))
    rows.append(q)
    return q
r4 = add("A", 0.98, 0.7, None, 1, 1, cascade(val.c, v, 0.98))
print("ROUND4", r4, flush=True)
for g in [0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.98]:
    cs = cascade(val.c, v, g)
    for th in [0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.98, 0.99, 0.995, 0.999]:
        for k, n in KN:
            add("A", g, th, None, k, n, cs)
    print("A gate", g, round(time.time() - t0), flush=True)
for glo in [0.5, 0.7, 0.8, 0.9, 0.95]:
    for t2 in [0.9, 0.95, 0.98, 0.99, 0.995, 0.999]:
        cs = two_tier(val.c, v, glo, t2)
        for th in [0.6, 0.7, 0.8]:
            for k, n in KN:
                add("B", glo, th, t2, k, n, cs)
    print("B gate_lo", glo, round(time.time() - t0), flush=True)
json.dump(rows, open("/work/plan/logs/i23h/stageT.json", "w"), indent=0)
ok = [q for q in rows if q["far"] <= 0.5 + 1e-9 and q["found"] >= r4["found"] and q["nreal"] >= r4["nreal"]]
is4 = lambda q: q["fam"] == "A" and q["gate"] == 0.98 and q["th"] == 0.7 and q["k"] == 1 and q["n"] == 1 and q["t2"] is None
key = lambda q: (q["timely"], -q["lat90"], q["nreal"], -q["fa"], is4(q), q["fam"] == "A", q["gate"], q["th"], q["t2"] or 0, -(q["k"] + q["n"]))
ok.sort(key=key, reverse=True)
print("eligible", len(ok), flush=True)
for q in ok[:15]:
    print(q, flush=True)
pick = ok[0]
print("PICK", pick, "timely gain over round 4", pick["timely"] - r4["timely"], flush=True)
json.dump({"pick": pick, "round4": r4}, open("/work/plan/logs/i23h/pick5.json", "w"), indent=1)
# information: best at <= 1 FA/h on valA by the same key
ok1 = sorted([q for q in rows if q["far"] <= 1.0 + 1e-9], key=key, reverse=True)
print("INFO best<=1FA/h", ok1[0] if ok1 else None, flush=True)
# duty: verifier windows per cry-free hour at each gate on valA
free = [f for f in val.s.files if not val.s.labels.get(f)]
fh = sum(val.dur[f] for f in free) / 3600
print("DUTY valA windows per cry-free hour", {g: round(sum(int((val.c[f] >= g).sum()) for f in free) / fh, 1) for g in [0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.98]}, flush=True)
