"""Round 5 rule (docs/results/rollover.md): most of 16 targets on the fit-family sets; ties:
fewer quiet false alarms/h summed, higher smallest recall, simpler setting."""
import json, glob
SETS = ["vala_roll", "vala_quiet", "famb_roll", "famb_quiet", "famr_roll", "famr_quiet", "famc_roll", "famc_quiet"]
res = {("shipped", "both", "E0"): {  # the incumbent (docs/results/rollover-night.md, same sets)
    "vala_roll": (0.946, 2.0, 1.53), "vala_quiet": (None, 0.0, None), "famb_roll": (0.521, 53.0, 2.53),
    "famb_quiet": (None, 0.0, None), "famr_roll": (0.125, 25.0, 3.70), "famr_quiet": (None, 0.0, None),
    "famc_roll": (0.006, 5.5, 2.87), "famc_quiet": (None, 0.75, None)}}
for f in glob.glob("/work/plan/logs/r25c/val*_abr29_*.log"):
    for l in open(f):
        if not l.startswith('{"cand"'): continue
        x = json.loads(l)
        res.setdefault((x["cand"], x["method"], x["events"]), {})[x["set"]] = (
            x["event_recall"], x["false_alarms_per_hour"], x["latency_p50_s"])
def simple(ev):
    g = 0 if "G" not in ev else (1 if "G1.5" in ev else 2 if "d" not in ev else 3)
    return (g, ev.startswith("E1"))
out = []
for k, v in res.items():
    if not all(s in v for s in SETS):
        print("incomplete", k); continue
    met, rec, q = 0, [], 0.0
    for s in SETS:
        r, fa, l = v[s]
        if s.endswith("roll"):
            met += (r >= 0.95) + (fa <= 1.0 + 1e-6) + (l is not None and l <= 3.0); rec.append(r)
        else:
            met += fa <= 0.1 + 1e-6; q += fa
    out.append((-met, round(q, 4), -min(rec), simple(k[2]), k, v))
out.sort()
for m, q, mr, _, k, v in out:
    cells = [f"{v[s][0]:.3f}, {v[s][1]:.1f}/h, {v[s][2]:.2f} s" if s.endswith("roll") else f"{v[s][1]:.2f}/h" for s in SETS]
    print(f"| {k[0]} `{k[1]}` {k[2]} | " + " | ".join(cells) + f" | {-m} | {q:.2f} |")
