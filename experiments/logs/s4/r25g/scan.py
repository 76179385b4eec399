"""Covered-face reset/hysteresis scan (issue 25, eighth round). Usage: scan.py SETS OUT.json [names]
Per candidate and set: episodes, found, recall (Wilson), false alerts/h, latencies of found episodes."""
import json, sys, time
from dataclasses import replace
from pathlib import Path
import numpy as np
from cribwatch.io import read_text
from cribwatch.rollover.absence import face_alert_times
from cribwatch.rollover.events import EventConfig
from cribwatch.rollover.nightmeasure import wilson
from cribwatch.rollover.pose import read_sequence
from cribwatch.rollover.posture import PostureConfig, features

E = EventConfig()
C = {"default (unbroken 2.5)": E}
for r in (0.7, 1.5):
    C[f"unbroken {r:g}"] = replace(E, face_reset_s=r)
for w in (2.5, 4.0):
    for q in (0.6, 0.75, 0.9):
        C[f"reset frac {q:g} over {w:g} s"] = replace(E, face_reset_s=w, face_reset_frac=q)
for h in (4.0, 5.0, 6.0):
    for m in (0.5, 0.6, 0.7, 0.8, 0.9):
        C[f"miss frac {m:g} over {h:g} s"] = replace(E, face_hold_s=h, face_miss_frac=m)
# second candidate set (added after the first scan on the fit sets, before any run on g)
for h in (4.0, 5.0, 6.0):
    for m in (0.5, 0.6, 0.7):
        C[f"min_face 2, miss frac {m:g} over {h:g} s"] = replace(E, face_hold_s=h, face_miss_frac=m, min_face=2)
C["min_face 2, unbroken 2.5"] = replace(E, min_face=2)
C["min_face 2, unbroken 0.7"] = replace(E, min_face=2, face_reset_s=0.7)
for h in (5.0, 6.0):
    C[f"unbroken 0.7, hold {h:g} s"] = replace(E, face_reset_s=0.7, face_hold_s=h)
    C[f"unbroken 1.5, hold {h:g} s"] = replace(E, face_reset_s=1.5, face_hold_s=h)
# third candidate set (added after the second scan on the fit sets, before any run on g)
for h in (7.0, 8.0):
    for m in (0.5, 0.55, 0.6):
        C[f"miss frac {m:g} over {h:g} s"] = replace(E, face_hold_s=h, face_miss_frac=m)
C["miss frac 0.55 over 6 s"] = replace(E, face_hold_s=6.0, face_miss_frac=0.55)
if len(sys.argv) > 3 and sys.argv[3] == "third":
    C = {k: v for k, v in C.items() if k.startswith("miss frac") and (" 7 s" in k or " 8 s" in k or k == "miss frac 0.55 over 6 s")}
elif len(sys.argv) > 3 and sys.argv[3] == "second":
    C = {k: v for k, v in C.items() if k.startswith("min_face 2") or ", hold" in k}
elif len(sys.argv) > 3:
    C = {k: v for k, v in C.items() if k in sys.argv[3].split("|")}
sets = sys.argv[1].split(",")
res = {c: {} for c in C}
t0 = time.time()
for s in sets:
    d = Path("data/rollover") / s
    eps = {}
    for line in read_text(d / "covered.tsv").splitlines()[1:]:
        f, on, off = line.split("\t")
        eps.setdefault(f, []).append((float(on), float(off)))
    acc = {c: dict(episodes=0, found=0, false=0, seconds=0.0, lat=[]) for c in C}
    for f in sorted(d.glob("*.jsonl")):
        seq = read_sequence(f)
        feat = features(seq.kp, PostureConfig())
        t = np.asarray(seq.t, np.float64)
        ep = eps.get(f.name, [])
        for c, ev in C.items():
            al = face_alert_times(t, feat.n_face, feat.body_in_view, ev)
            a = acc[c]
            a["seconds"] += float(t[-1] - t[0])
            for on, off in ep:
                hits = [x for x in al if on <= x <= off + 2.0]
                a["episodes"] += 1
                if hits:
                    a["found"] += 1
                    a["lat"].append(hits[0] - on)
            a["false"] += sum(not any(on <= x <= off + 2.0 for on, off in ep) for x in al)
    for c in C:
        a = acc[c]
        lo, hi = wilson(a["found"], a["episodes"])
        res[c][s] = dict(episodes=a["episodes"], found=a["found"],
                         recall=a["found"] / max(a["episodes"], 1), recall_ci=[lo, hi],
                         false=a["false"], hours=a["seconds"] / 3600,
                         false_per_h=a["false"] / (a["seconds"] / 3600), lat=a["lat"])
    print(s, "done", round(time.time() - t0), "s", flush=True)
Path(sys.argv[2]).write_text(json.dumps(res))
