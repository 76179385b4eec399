"""Issue 25 round 3, held-out run (ONCE): shipped check (before) vs the appearance vote (after)."""
import json, time
from cribwatch.rollover import nightmeasure as nm
from cribwatch.io import write_json
out = {}
for tag, check in (("before", {"verify_person": 0.0}), ("after", None)):
    t0 = time.time()
    r = nm.measure_night("data", methods=("movenet+pre+rot", "movenet+pre+rot-track"), check=check,
                         people_heldout=nm.PEOPLE_HELDOUT + nm.PEOPLE_FRESH,
                         empty_tuning=nm.EMPTY_TUNING3, empty_heldout=nm.EMPTY_FRESH)
    c = nm.measure_empty_clips("data", names=nm.EMPTY_FRESH, check=check)
    out[tag] = {"night": r, "clips": c, "seconds": round(time.time() - t0, 1)}
    print(tag, json.dumps({m["method"]: {k: m[k] for k in m if k in ("tuning", "heldout", "false_presence_heldout", "false_presence_tuning", "cpu_ms_per_frame")} for m in r["results"]}), json.dumps(c), flush=True)
write_json("/work/plan/logs/r25p/heldout_a.json", out)
