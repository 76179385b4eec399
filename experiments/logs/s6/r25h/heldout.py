"""Ninth round, the one held-out run: the shipped setting and the choice on PEOPLE_R9 (fresh
people) and EMPTY_R9 (fresh frames without a person); tuning lists as in the scan.
python experiments/logs/s6/r25h/heldout.py CHOICE"""
import json, sys
from cribwatch.io import write_json
from cribwatch.rollover import nightmeasure as nm
sys.path.insert(0, "experiments/logs/s6/r25h")
from scan import CANDIDATES  # noqa: E402
OUT = "experiments/logs/s6/r25h"
for name in ("shipped", sys.argv[1]):
    res = nm.measure_night("data", methods=("movenet+pre+rot", "movenet+pre+rot-track"),
                           check=CANDIDATES[name], people_tuning=nm.PEOPLE_TUNING9,
                           people_heldout=nm.PEOPLE_R9, empty_tuning=(), empty_heldout=nm.EMPTY_R9)
    write_json(f"{OUT}/heldout_{name}.json", {"candidate": name, "check": CANDIDATES[name], **res})
    s, t = res["results"]
    print(json.dumps({"candidate": name, "photos": len(res["photos"]["heldout"]), "skipped": res["skipped"],
                      "missing": res["missing"], "single": s["heldout"], "track": t["heldout"],
                      "false": s["false_presence_heldout"], "cpu": [s["cpu_ms_per_frame"], t["cpu_ms_per_frame"]]}), flush=True)
    print(nm.markdown(res), flush=True)
