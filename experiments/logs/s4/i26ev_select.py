"""Rule of docs/results/color.md (session 4): largest min slack over all candidates' rows."""
import json, sys
BC, BS, BD = 0.8 * 26.49, 1.82 + 1.0, 9.40
rows = []
order = {n: i for i, n in enumerate(["slim", "slim2", "E1", "E2"])}
for f in sys.argv[1:]:
    d = json.load(open(f))
    name = f.split("ph2_")[1].split("_val")[0]
    for r in d["rows"]:
        ms = min(BC - r["de00_changed"], BS - r["de00_static"], BD - r["dcf"])
        simp = (r["map"] != "ssim", r["c"], r["s"], abs(r["bias"]), order.get(name, 9))
        rows.append((ms, simp, name, r))
best = max(m for m, *_ in rows)
tied = sorted([x for x in rows if x[0] >= best - 0.01], key=lambda x: x[1])
for ms, simp, name, r in sorted(rows, key=lambda x: -x[0])[:12]:
    print(f"{name:5s} {r['map']:5s} b {r['bias']:+.0f} c {r['c']} s {r['s']}  ch {r['de00_changed']:.2f} st {r['de00_static']:.2f} dcf {r['dcf']:.2f}  min slack {ms:+.2f}")
for name in order:
    sub = [x for x in rows if x[2] == name]
    if sub:
        x = max(sub, key=lambda x: x[0]); r = x[3]
        base = [y for y in sub if y[3]["map"] == "ssim" and y[3]["c"] == 0 and y[3]["s"] == 0 and y[3]["bias"] == 0][0][3]
        print(f"best of {name}: {r['map']} b {r['bias']} c {r['c']} s {r['s']} ch {r['de00_changed']:.2f} st {r['de00_static']:.2f} dcf {r['dcf']:.2f} slack {x[0]:+.2f}; plain: ch {base['de00_changed']:.2f} st {base['de00_static']:.2f} dcf {base['dcf']:.2f}")
ms, simp, name, r = tied[0]
print("CHOSEN", name, r["map"], r["bias"], r["c"], r["s"], f"min slack {ms:+.2f}")
