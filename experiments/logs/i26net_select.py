"""Apply the written selection rule to posthoc JSON files: python i26net_select.py F1.json F2.json ..."""
import json
import sys

T_CH, T_ST, DCF_MIN = 26.488, 1.8163, 9.4018
cands = []
for f in sys.argv[1:]:
    d = json.load(open(f))
    for r in d["rows"]:
        sc = 0.8 * T_CH - r["de00_changed"]
        ss = T_ST + 1.0 - r["de00_static"]
        sd = DCF_MIN - r["dcf"]
        edit = (r["k"] != 1) + (r["b"] != 0) + (r["s"] != 1)
        cands.append((min(sc, ss, sd), -edit, f.split("posthoc_")[-1], r, sc, ss, sd))
cands.sort(key=lambda c: (round(c[0], 2), c[1]), reverse=True)
for c in cands[:15]:
    r = c[3]
    print(f"{c[0]:+.3f} {c[2]:20s} k={r['k']} b={r['b']} s={r['s']}  ch {r['de00_changed']:.2f} st {r['de00_static']:.2f} dcf {r['dcf']:.2f} de00 {r['de00']:.2f} | slacks {c[4]:+.2f} {c[5]:+.2f} {c[6]:+.2f}")
