"""Ninth round: the candidates on the TUNING photos and frames only (the held-out lists are
empty here). python experiments/logs/s6/r25h/scan.py NAME [NAME ...] -> scan_NAME.json"""
import json, sys
from cribwatch.io import write_json
from cribwatch.rollover import nightmeasure as nm
CANDIDATES = {
    "shipped": {},
    "aa": {"antialias": True},
    "aa_med1": {"antialias": True, "median": 1},
    "aa_med5": {"antialias": True, "median": 5},
    "aa_gamma1": {"antialias": True, "gamma": 1.0},
    "aa_clahe3": {"antialias": True, "clahe_clip": 3.0},
    "aa_rot8": {"antialias": True, "orientations": 8},
    "aa_cons08": {"antialias": True, "consistency": 0.08},
    "med5": {"median": 5},
    # added after the first scan and diag2.py (noise at low exposure is what loses the person),
    # before any held-out run:
    "blur1": {"blur_sigma": 1.0},
    "blur15": {"blur_sigma": 1.5},
    "blur2": {"blur_sigma": 2.0},
    "blur15_aa": {"blur_sigma": 1.5, "antialias": True},
    "bilat20": {"bilateral": 20.0},
    "bilat40": {"bilateral": 40.0},
}
OUT = "experiments/logs/s6/r25h"
for name in (sys.argv[1:] if __name__ == "__main__" else ()):
    res = nm.measure_night("data", methods=("movenet+pre+rot", "movenet+pre+rot-track"),
                           check=CANDIDATES[name], people_tuning=nm.PEOPLE_TUNING9,
                           people_heldout=(), empty_tuning=nm.EMPTY_TUNING9, empty_heldout=())
    write_json(f"{OUT}/scan_{name}.json", {"candidate": name, "check": CANDIDATES[name], **res})
    s, t = res["results"]
    print(json.dumps({"candidate": name, "single": s["tuning"]["k"], "of": s["tuning"]["n"],
                      "track": t["tuning"]["k"], "of_t": t["tuning"]["n"],
                      "false": s["false_presence_tuning"]["k"], "of_f": s["false_presence_tuning"]["n"],
                      "cpu_single": s["cpu_ms_per_frame"], "cpu_track": t["cpu_ms_per_frame"]}), flush=True)
