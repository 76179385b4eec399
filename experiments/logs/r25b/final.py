import json, sys
from dataclasses import replace
from cribwatch.rollover.learned import load
from cribwatch.rollover.eval import evaluate
from cribwatch.rollover.events import EventConfig
EVENTS = {"E0": EventConfig(), "E1": replace(EventConfig(), smooth_s=1.0, prone_dwell_s=1.5)}
name, method, ev, sets = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4].split(",")
model = load() if name == "shipped" else load(f"data/rollover/posture_{name}.pt")
for s in sets:
    r = evaluate("data/rollover/" + s, event_cfg=EVENTS[ev], method=method, model=model)
    print(json.dumps({"cand": name, "method": method, "events": ev, "set": s, **{k: r.get(k) for k in (
        "hours", "to_prone_events", "event_recall", "false_alarms", "false_alarms_per_hour",
        "latency_p50_s", "latency_p90_s", "face_not_visible")}}), flush=True)
