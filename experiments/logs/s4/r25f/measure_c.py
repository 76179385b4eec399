"""Part C (issue 25, seventh round): the shipped night pose (movenet-night, unchanged) on a third
fresh held-out set of real people (nightmeasure.PEOPLE_MMPOSE), once. Tuning photos as always;
one empty frame (tuning) only because measure_night needs one (false presence is not measured here)."""
import json
from cribwatch.io import write_json
from cribwatch.rollover.nightmeasure import PEOPLE_MMPOSE, measure_night, markdown
res = measure_night("data", methods=("movenet+pre+rot", "movenet+pre+rot-track"),
                    people_heldout=PEOPLE_MMPOSE, empty_tuning=(), empty_heldout=("skimage:coffee",))
write_json("/work/plan/logs/s4/r25f/measure_c.json", res)
print(json.dumps({k: res[k] for k in ("photos", "reference_keypoints", "missing", "skipped")}))
for r in res["results"]:
    print(json.dumps({k: v for k, v in r.items() if k not in ("frames",)})[:3000])
print(markdown(res))
