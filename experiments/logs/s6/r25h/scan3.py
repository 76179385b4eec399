"""Ninth round, amendment (after scan.py and diag2/diag3.py, before any held-out run): tracking
mode on clips filmed as a camera films them (NightMeasureConfig.video: one camera draw per clip,
new sensor noise per frame) with the temporal noise filter (NightConfig.temporal). TUNING photos
only. python experiments/logs/s6/r25h/scan3.py NAME [NAME ...] -> scan3_NAME.json"""
import json, sys
from cribwatch.io import write_json
from cribwatch.rollover import nightmeasure as nm
CANDIDATES = {
    "shipped": {},
    "t5_m24": {"temporal": 0.5, "temporal_motion": 24.0},
    "t7_m24": {"temporal": 0.7, "temporal_motion": 24.0},
    "t8_m24": {"temporal": 0.8, "temporal_motion": 24.0},
    "t7_m16": {"temporal": 0.7, "temporal_motion": 16.0},
    "t7_m40": {"temporal": 0.7, "temporal_motion": 40.0},
    "t8_m40": {"temporal": 0.8, "temporal_motion": 40.0},
}
OUT = "experiments/logs/s6/r25h"
for name in (sys.argv[1:] if __name__ == "__main__" else ()):
    res = nm.measure_night("data", methods=("movenet+pre+rot-track",), check=CANDIDATES[name],
                           config=nm.NightMeasureConfig(video=True),
                           people_tuning=nm.PEOPLE_TUNING9, people_heldout=(), empty_tuning=(),
                           empty_heldout=())
    write_json(f"{OUT}/scan3_{name}.json", {"candidate": name, "check": CANDIDATES[name], **res})
    t = res["results"][0]
    print(json.dumps({"candidate": name, "track": t["tuning"]["k"], "of_t": t["tuning"]["n"],
                      "by_photo": {k.split(":")[-1][:16]: v["k"] for k, v in t["tuning"]["by_photo"].items()},
                      "cpu_track": t["cpu_ms_per_frame"]}), flush=True)
