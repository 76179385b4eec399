"""Round 6 rule (docs/results/rollover.md): most of 24 targets on the fit-family sets; ties:
fewer quiet false alarms/h summed, higher smallest recall, simpler."""
import json, glob
SETS = ["vala_roll", "vala_quiet", "famb_roll", "famb_quiet", "famr_roll", "famr_quiet",
        "famc_roll", "famc_quiet", "famd_roll", "famd_quiet", "famo_roll", "famo_quiet"]
res = {}
for f in glob.glob("/work/plan/logs/r25e/val_*.log"):
    for l in open(f):
        if not l.startswith('{"cand"'): continue
        x = json.loads(l)
        res.setdefault((x["cand"], x["method"], x["events"]), {})[x["set"]] = (
            x["event_recall"], x["false_alarms_per_hour"], x["latency_p50_s"])
def simple(k):
    return (k[0] != "abrdo29", k[1] != "learned", ["E0", "E1", "E1G3dp3"].index(k[2]))
out = []
for k, v in res.items():
    if not all(s in v for s in SETS):
        print("incomplete", k, len(v)); continue
    met, rec, q = 0, [], 0.0
    for s in SETS:
        r, fa, l = v[s]
        if s.endswith("roll"):
            met += (r >= 0.95) + (fa <= 1.0 + 1e-6) + (l is not None and l <= 3.0); rec.append(r)
        else:
            met += fa <= 0.1 + 1e-6; q += fa
    out.append((-met, round(q, 4), -min(rec), simple(k), k, v))
out.sort()
print("| candidate | " + " | ".join(SETS) + " | targets met (of 24) | quiet FA/h summed |")
print("|" + " --- |" * (len(SETS) + 3))
for m, q, mr, _, k, v in out:
    cells = [f"{v[s][0]:.3f}, {v[s][1]:.1f}/h, {v[s][2]:.2f} s" if s.endswith("roll") else f"{v[s][1]:.2f}/h" for s in SETS]
    print(f"| {k[0]} `{k[1]}` {k[2]} | " + " | ".join(cells) + f" | {-m} | {q:.2f} |")
