import json, sys
from dataclasses import replace
from cribwatch.rollover.eval import evaluate
from cribwatch.rollover.events import EventConfig
for s in sys.argv[1].split(","):
    for mf, rs in ((1, 0.7), (2, 0.7), (1, 1.5), (2, 1.5)):
        ec = replace(EventConfig(), min_face=mf, face_reset_s=rs)
        r = evaluate("data/rollover/" + s, event_cfg=ec, method="both")
        print(json.dumps({"set": s, "min_face": mf, "face_reset_s": rs, "fnv": r.get("face_not_visible"),
                          "fa_h": r.get("false_alarms_per_hour")}), flush=True)
