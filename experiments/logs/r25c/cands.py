"""Round 5 (issue 25): roll gate candidates on the fit-family validation sets (a, b, r, c).
Features and probabilities computed once per model/method/set; the tracker per event config."""
import json, sys, time
from dataclasses import replace
from pathlib import Path
import numpy as np
import cribwatch.rollover.eval as ev
from cribwatch.rollover.events import EventConfig, frame_probabilities, run_features
from cribwatch.rollover.learned import load
from cribwatch.rollover.pose import read_sequence
R = "data/rollover/"
E0 = EventConfig()
E1 = replace(E0, smooth_s=1.0, prone_dwell_s=1.5)
def G(base, **kw):
    return replace(base, roll_gate=True, **kw)
EVENTS = {"E0": E0, "E1": E1}
for en, e in (("E0", E0), ("E1", E1)):
    EVENTS[f"{en}G1.5"] = G(e, gate_bounce_s=1.5)
    EVENTS[f"{en}G3"] = G(e, gate_bounce_s=3.0)
    EVENTS[f"{en}G3d"] = G(e, gate_bounce_s=3.0, gate_dropouts=True)
# second grid (after the first fit-family results): a shorter hold, so that a roll the gate
# held back still raises its alert within the 5 s collar
for h in (2.0, 3.0):
    for en, e in (("E0", E0), ("E1", E1)):
        EVENTS[f"{en}G1.5h{h:g}"] = G(e, gate_bounce_s=1.5, gate_hold_s=h)
        EVENTS[f"{en}G3h{h:g}"] = G(e, gate_bounce_s=3.0, gate_hold_s=h)
        EVENTS[f"{en}G3dh{h:g}"] = G(e, gate_bounce_s=3.0, gate_dropouts=True, gate_hold_s=h)
# third grid (after the second): hold back only while a swap is in effect
for en, e in (("E0", E0), ("E1", E1)):
    for bo in (1.5, 3.0):
        EVENTS[f"{en}S{bo:g}"] = G(e, gate_bounce_s=bo, gate_swap_only=True)
        EVENTS[f"{en}S{bo:g}d"] = G(e, gate_bounce_s=bo, gate_swap_only=True, gate_dropouts=True)
# fourth grid (after the third): a recent passage opens the gate whatever order follows
for en, e in (("E0", E0), ("E1", E1)):
    for ps in (3.0, 5.0):
        EVENTS[f"{en}G3p{ps:g}"] = G(e, gate_bounce_s=3.0, gate_passage_s=ps)
        EVENTS[f"{en}G3dp{ps:g}"] = G(e, gate_bounce_s=3.0, gate_dropouts=True, gate_passage_s=ps)
KEYS = ("hours", "to_prone_events", "event_recall", "false_alarms", "false_alarms_per_hour",
        "latency_p50_s", "latency_p90_s", "face_not_visible")
if __name__ == "__main__":
    name, method, sets = sys.argv[1], sys.argv[2], sys.argv[3].split(",")
    evs = EVENTS if len(sys.argv) < 5 else {k: EVENTS[k] for k in sys.argv[4].split(",")}
    model = load() if name == "shipped" else load(f"{R}posture_{name}.pt")
    for s in sets:
        t0 = time.time()
        d = Path(R + s)
        truth = ev._read_truth(d)
        cache = []
        for f in sorted(d.glob("*.jsonl")):
            seq = read_sequence(f)
            feat, p = frame_probabilities(seq.kp, None, method, model)
            cache.append((f.name, seq, feat, p))
        for en, ec in evs.items():
            c = ev._Counts()
            for fn, seq, feat, p in cache:
                c.seconds += float(seq.t[-1] - seq.t[0]) + 1.0 / seq.fps
                det = run_features(seq.t, feat, p, ec)
                ev._score_file(seq, det, fn, truth, ec, ev.EvalConfig(), c)
            r = ev._result(d, method, ec, len(cache), c)
            print(json.dumps({"cand": name, "method": method, "events": en, "set": s,
                              **{k: r.get(k) for k in KEYS}}), flush=True)
        print(json.dumps({"set": s, "secs": round(time.time() - t0, 1)}), flush=True)
