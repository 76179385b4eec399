import json
from cribwatch.rollover.nightmeasure import measure_video
for chk in ({"verify_person": 0.0}, {"verify_person": 0.36}):
    r = measure_video("data", methods=("movenet+pre+rot-track",), check=chk)
    print(json.dumps({"check": chk, "rows": r["rows"]}), flush=True)
