"""Round 6: rows with intervals from final.py logs."""
import json, sys
for f in sys.argv[1:]:
    for l in open(f):
        if not l.startswith("{"): continue
        x = json.loads(l)
        name = f"{x['cand']} `{x['method']}` {x['events']}"
        fnv = x["face_not_visible"]
        h = x["hours"]
        if x["rolls"]:
            rc = x["recall_ci"]; fc = x["fa_ci"]; lc = x["latency_p50_ci"]
            print(f"| {name} | {x['set']} ({h:g} h) | {x['found']}/{x['rolls']} = {x['recall']:.3f} ({rc[0]:.3f}-{rc[1]:.3f}) | "
                  f"{x['false_alarms']} = {x['fa_per_h']:.2f}/h ({fc[0]:.2f}-{fc[1]:.2f}) | {x['latency_p50_s']:.2f} s ({lc[0]:.2f}-{lc[1]:.2f}) | - | {fnv['recall']:.3g} ({fnv['episodes']}) |")
        else:
            fc = x["fa_ci"]
            print(f"| {name} | {x['set']} ({h:g} h) | - | - | - | {x['false_alarms']} = {x['fa_per_h']:.2f}/h ({fc[0]:.2f}-{fc[1]:.2f}) | {fnv['recall']:.3g} ({fnv['episodes']}) |")
