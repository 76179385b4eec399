"""Diagnostic after the held-out run (NOT tuning): round-2 head at its own round-3-rule point (0.98, 0.5) and at (0.98, 0.6) on test;
the round-3 pick's false alarms by file."""
import sys
sys.path.insert(0, "/work/plan/logs/i23e")
from common import *
h2 = VerifierHead.load(Path("/work/plan/logs/i23e/head-embedding_neg.npz"))
h3 = VerifierHead.load(Path("/work/plan/logs/i23f/head-embedding_neg3.npz"))
d = SetData("test")
v2 = d.verifier(h2); v3 = d.verifier(h3)
for nm, v, g, th in (("r2", v2, 0.98, 0.5), ("r2", v2, 0.98, 0.6), ("r3", v3, 0.98, 0.6)):
    r, extra = d.run(cascade(d.c, v, g), replace(CFG, threshold=th))
    print(nm, g, th, r["sensitivity"], r["sensitivity_real"], r["far_per_hour"], r["false_alarms"], flush=True)
# alarms by file for r3
from cribwatch.cry.postprocess import low_threshold
cfg = replace(CFG, threshold=0.6); cs = cascade(d.c, v3, 0.98)
for f in d.s.files:
    if d.s.labels.get(f):
        continue
    sc = cs[f]
    infos = [WindowInfo(float(sv), b.level_db, b.voiced_share, b.voiced) for sv, b in zip(sc, d.base[f])]
    evs = run_chain(infos, cfg)
    if evs:
        print("FA file", f, len(evs), flush=True)
