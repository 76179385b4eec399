"""Apply the eighth round's choice rule (docs/results/rollover-night.md) to scan_fit.json."""
import json, sys
import numpy as np
r = json.load(open(sys.argv[1]))
names = list(r)
def row(c):
    d = r[c]
    ok = [v["recall"] >= 0.9 and v["false_per_h"] <= 0.5 for v in d.values()]
    worst = max(v["false_per_h"] for v in d.values())
    small = min(v["recall"] for v in d.values())
    lat = [x for v in d.values() for x in v["lat"]]
    return dict(n_ok=sum(ok), all_ok=all(ok), worst=worst, small=small,
                lat50=float(np.median(lat)) if lat else 99.0, lat90=float(np.percentile(lat, 90)) if lat else 99.0,
                default=c.startswith("default"), unbroken=not c.startswith(("reset frac", "miss frac")))
rows = {c: row(c) for c in names}
ok = [c for c in names if rows[c]["all_ok"]]
if ok:
    best_w = min(rows[c]["worst"] for c in ok)
    pool = [c for c in ok if rows[c]["worst"] <= best_w + 0.05 + 1e-9]
    pool.sort(key=lambda c: (-rows[c]["small"], rows[c]["lat50"], not rows[c]["default"], not rows[c]["unbroken"], names.index(c)))
    order = pool + sorted([c for c in ok if c not in pool], key=lambda c: rows[c]["worst"])
    order += sorted([c for c in names if c not in ok], key=lambda c: (-rows[c]["n_ok"], rows[c]["worst"], -rows[c]["small"]))
else:
    order = sorted(names, key=lambda c: (-rows[c]["n_ok"], rows[c]["worst"], -rows[c]["small"]))
sets = list(r[names[0]])
print("| candidate | " + " | ".join(sets) + " | sets meeting both | worst false/h | smallest recall | latency p50 / p90 s |")
print("| --- " * (len(sets) + 5) + "|")
for c in order:
    d = r[c]; w = rows[c]
    cells = [f"{v['recall']:.3f} ({v['false_per_h']:.2f}/h)" for v in d.values()]
    print(f"| {c} | " + " | ".join(cells) + f" | {w['n_ok']}/8 | {w['worst']:.2f} | {w['small']:.3f} | {w['lat50']:.1f} / {w['lat90']:.1f} |")
print("CHOICE:", order[0] if (ok or True) else None, "all_ok:", bool(ok))
