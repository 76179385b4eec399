"""Diagnostic after the held-out run (not tuning): round-4 late alerts on the test set: when each stage first says cry."""
from common5 import *
head = VerifierHead.load(HEAD)
d = SetData("test"); v = d.verifier(head)
rows = []
for f in d.s.files:
    labs = d.s.labels.get(f)
    if not labs: continue
    on, off = labs[0]
    c = d.c[f]; vv = v[f]; te = np.arange(len(c)) * 0.5 + 1.0
    ins = te > on
    cs = np.where(c >= 0.98, vv, 0.0)
    infos = [WindowInfo(float(sv), b.level_db, b.voiced_share, b.voiced) for sv, b in zip(cs, d.base[f])]
    evs = [e for e in run_chain(infos, CFG4) if e.offset > on - 1 and e.onset < off + 1]
    if not evs or evs[0].emitted - on <= 4.0: continue
    first = lambda m: round(float(te[np.flatnonzero(ins & m)[0]] - on), 1) if (ins & m).any() else None
    vox = np.array([b.voiced_share >= 0.15 for b in d.base[f]])
    rows.append(dict(f=f[-20:], alert=round(evs[0].emitted - on, 1), cnn=[first(c >= g) for g in (0.5, 0.8, 0.9, 0.95, 0.98)],
                     ver07_cnn05=first((c >= 0.5) & (vv >= 0.7)), ver07_cnn09=first((c >= 0.9) & (vv >= 0.7)), voiced=first(vox)))
for r in rows: print(r)
print(len(rows), "late")
