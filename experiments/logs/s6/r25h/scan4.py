"""Ninth round, second amendment (after scan.py / scan3.py and the held-out run of the first
choice): the learned noise filter (NightConfig.denoise) on the TUNING photos and frames, the
protocol of scan.py. python experiments/logs/s6/r25h/scan4.py NAME [NAME ...] -> scan4_NAME.json"""
import json, sys
from cribwatch.io import write_json
from cribwatch.rollover import nightmeasure as nm
CANDIDATES = {
    "dn05": {"denoise": "data/rollover_denoise_s05.onnx"},
    "dn05_med1": {"denoise": "data/rollover_denoise_s05.onnx", "median": 1},
    "dn10": {"denoise": "data/rollover_denoise_s10.onnx"},
    "dn10_med1": {"denoise": "data/rollover_denoise_s10.onnx", "median": 1},
}
OUT = "experiments/logs/s6/r25h"
for name in (sys.argv[1:] if __name__ == "__main__" else ()):
    res = nm.measure_night("data", methods=("movenet+pre+rot", "movenet+pre+rot-track"),
                           check=CANDIDATES[name], people_tuning=nm.PEOPLE_TUNING9,
                           people_heldout=(), empty_tuning=nm.EMPTY_TUNING9, empty_heldout=())
    write_json(f"{OUT}/scan4_{name}.json", {"candidate": name, "check": CANDIDATES[name], **res})
    s, t = res["results"]
    print(json.dumps({"candidate": name, "single": s["tuning"]["k"], "of": s["tuning"]["n"],
                      "track": t["tuning"]["k"], "of_t": t["tuning"]["n"],
                      "false": s["false_presence_tuning"]["k"], "of_f": s["false_presence_tuning"]["n"],
                      "cpu_single": s["cpu_ms_per_frame"], "cpu_track": t["cpu_ms_per_frame"],
                      "by_photo": {k.split(":")[-1][:16]: v["k"] for k, v in s["tuning"]["by_photo"].items()}}), flush=True)
