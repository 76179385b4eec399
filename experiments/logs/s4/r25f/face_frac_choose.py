import json
r = json.load(open("/work/plan/logs/s4/r25f/face_frac_fit.json"))
rf = json.load(open("/work/plan/logs/s4/r25f/face_frac_f.json"))
rows = []
for c, v in r.items():
    rec = [x["recall"] for x in v.values()]; fa = [x["false_per_hour"] for x in v.values()]
    ok = all(f <= 0.5 for f in fa)
    w = 0 if c.startswith("default") else 1
    rows.append(((not ok), -min(rec), sum(fa), w, c, v))
rows.sort(key=lambda z: z[:4])
sets = list(next(iter(r.values())).keys())
print("| candidate | " + " | ".join(s.split("/")[-1] for s in sets) + " | smallest recall | famf_quiet (information) |")
print("| --- " * (len(sets) + 3) + "|")
for bad, mr, fs, _, c, v in rows:
    cells = [f"{v[s]['recall']:.3f} ({v[s]['false_per_hour']:.2f}/h)" for s in sets]
    f = list(rf[c].values())[0]
    print(f"| {c} | " + " | ".join(cells) + f" | {-mr:.3f}{' (over 0.5/h)' if bad else ''} | {f['recall']:.3f} ({f['false_per_hour']:.2f}/h) |")
print("CHOSEN", rows[0][4])
