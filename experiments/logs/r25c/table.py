import json, sys
for f in sys.argv[1:]:
    for l in open(f):
        if not l.startswith('{'): continue
        r = json.loads(l)
        fv = r["face_not_visible"]
        if r["rolls"]:
            print(f"| {r['cand']} `{r['method']}` {r['events']} | {r['set']} ({r['hours']:g} h) | {r['found']}/{r['rolls']} = {r['recall']:.3f} ({r['recall_ci'][0]:.3f}-{r['recall_ci'][1]:.3f}) | {r['false_alarms']} = {r['fa_per_h']:.2f}/h ({r['fa_ci'][0]:.2f}-{r['fa_ci'][1]:.2f}) | {r['latency_p50_s']:.2f} s ({r['latency_p50_ci'][0]:.2f}-{r['latency_p50_ci'][1]:.2f}) | - | {fv['recall'] if fv['recall'] is None else round(fv['recall'],3)} ({fv['episodes']}) |")
        else:
            print(f"| {r['cand']} `{r['method']}` {r['events']} | {r['set']} ({r['hours']:g} h) | - | - | - | {r['false_alarms']} = {r['fa_per_h']:.2f}/h ({r['fa_ci'][0]:.2f}-{r['fa_ci'][1]:.2f}) | {round(fv['recall'],3)} ({fv['episodes']}) |")
