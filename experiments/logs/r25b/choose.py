import json, glob
rows = [json.loads(l) for f in glob.glob("/work/plan/logs/r25b/val_*.log") for l in open(f) if l.startswith('{"cand"')]
# incumbent numbers on a and b from the third round's table (same sets, same code path)
prev = {("shipped","both","E0","vala_roll"):(0.946,2.0,1.53),("shipped","both","E0","vala_quiet"):(None,0.0,None),
        ("shipped","both","E0","famb_roll"):(0.521,53.0,2.53),("shipped","both","E0","famb_quiet"):(None,0.0,None),
        ("shipped","learned","E0","vala_roll"):(0.959,1.0,1.53),("shipped","learned","E0","vala_quiet"):(None,0.0,None),
        ("shipped","learned","E0","famb_roll"):(0.726,45.0,2.47),("shipped","learned","E0","famb_quiet"):(None,0.5,None)}
res = {}
for (c,m,e,s),(r,fa,l) in prev.items():
    res.setdefault((c,m,e),{})[s]=(r,fa,l)
for x in rows:
    res.setdefault((x["cand"],x["method"],x["events"]),{})[x["set"]]=(x["event_recall"],x["false_alarms_per_hour"],x["latency_p50_s"])
SETS=["vala_roll","vala_quiet","famb_roll","famb_quiet","famr_roll","famr_quiet"]
out=[]
for k,v in res.items():
    if not all(s in v for s in SETS): 
        print("incomplete",k,sorted(v)); continue
    met=0; rec=[]; fas=0
    for s in SETS:
        r,fa,l=v[s]; fas+=fa
        if s.endswith("roll"):
            met+=(r>=0.95)+(fa<=1.0)+(l is not None and l<=3.0); rec.append(r)
        else:
            met+=fa<=0.1
    out.append((met,min(rec),-fas,k,v))
out.sort(reverse=True)
for met,mr,nf,k,v in out:
    cells=[]
    for s in SETS:
        r,fa,l=v[s]
        cells.append(f"{r:.3f}, {fa:.1f}/h, {l:.2f} s" if s.endswith("roll") else f"{fa:.1f}/h")
    print(f"| {k[0]} `{k[1]}` {k[2]} | "+" | ".join(cells)+f" | {met} |")
