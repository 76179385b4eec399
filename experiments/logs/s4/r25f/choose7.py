"""Round 7: apply the written rule to the leave-one-family-out validation results."""
import json, sys
from collections import defaultdict
ROLL = ["vala_roll", "famb_roll", "famr_roll", "famo_roll", "famd_roll", "famc_roll", "fame_roll"]
QUIET = [s.replace("_roll", "_quiet") for s in ROLL]
res = defaultdict(dict)
for fn in sys.argv[1:]:
    for l in open(fn):
        d = json.loads(l)
        if "th" not in d:
            continue
        var = "none" if d["th"] == 0 else d["variant"]
        res[(var, d["th"], d["events"])][d["set"]] = d
rows = []
for k, r in res.items():
    if len(r) < 14:
        continue
    met, qsum, recs = 0, 0.0, []
    for s in ROLL:
        x = r[s]; recs.append(x["event_recall"])
        met += (x["event_recall"] >= 0.95) + (x["false_alarms_per_hour"] <= 1.0 + 1e-9) + (x["latency_p50_s"] is not None and x["latency_p50_s"] <= 3.0)
    for s in QUIET:
        q = r[s]["false_alarms_per_hour"]; qsum += q; met += q <= 0.1 + 1e-9
    simple = ({"none": 0, "hard": 1, "hard+entry": 1.5, "all": 2}.get(k[0], 3), -k[1], 0 if k[2] == "E1" else 1)
    rows.append((-met, round(qsum, 4), -min(recs), simple, k, r))
rows.sort(key=lambda z: z[:4])
def cell(x):
    if x["event_recall"] is None:
        return f"{x['false_alarms_per_hour']:.2f}/h"
    return f"{x['event_recall']:.3f}, {x['false_alarms_per_hour']:.1f}/h, {x['latency_p50_s']:.2f} s"
print("| candidate | " + " | ".join(s for p in zip(ROLL, QUIET) for s in p) + " | targets met (of 28) | quiet FA/h summed |")
print("| --- " * 17 + "|")
for m, q, rc, _, k, r in rows:
    name = "no veto" if k[0] == "none" else f"veto `{k[0]}` {k[1]:g}"
    print(f"| abrdo29 `learned` {k[2]}, {name} | " + " | ".join(cell(r[s]) for p in zip(ROLL, QUIET) for s in p) + f" | {-m} | {q:.2f} |")
print("CHOSEN", rows[0][4])
