"""Development only (fit families): undo whole-body left/right label jumps by tracking the
signed shoulder vector (a roll shrinks it through the side; a swap reverses it in one frame)."""
import json, sys, math
from dataclasses import replace
import numpy as np
import cribwatch.rollover.eval as ev
from cribwatch.rollover.events import run as run0, EventConfig
from cribwatch.rollover.learned import load
from cribwatch.rollover.pose import COCO_FLIP
FLIP = list(COCO_FLIP)
THR, GAP, COS = 0.35, 0.5, -0.5

def unswap(t, kp):
    k = np.array(kp, dtype=np.float32, copy=True)
    prev, prev_t, state = None, -1e9, False
    for i in range(len(k)):
        if t[i] - prev_t > GAP:
            state, prev = False, None
        if state:
            k[i] = k[i][FLIP]
        s = k[i, :, 2]
        if not (s[5] >= .5 and s[6] >= .5 and (s[11] >= .5 or s[12] >= .5)):
            continue
        hips = [j for j in (11, 12) if s[j] >= .5]
        L = np.linalg.norm((k[i, 5, :2] + k[i, 6, :2]) / 2 - k[i, hips, :2].mean(0))
        if L < 1e-6:
            continue
        v = (k[i, 5, :2] - k[i, 6, :2]) / L
        w = float(np.linalg.norm(v))
        if w <= THR:
            continue
        if prev is not None:
            c = float(v @ prev) / (w * float(np.linalg.norm(prev)))
            if c < COS:
                state = not state
                k[i] = k[i][FLIP]
                v = -v
        prev, prev_t = v, t[i]
    return k

def run_unswap(t, kp, *a, **kw):
    return run0(t, unswap(t, kp), *a, **kw)
ev.run = run_unswap
name, method, evn, sets = sys.argv[1:5]
ecfg = EventConfig() if evn == "E0" else replace(EventConfig(), smooth_s=1.0, prone_dwell_s=1.5)
model = load() if name == "shipped" else load(f"data/rollover/posture_{name}.pt")
for s in sets.split(","):
    r = ev.evaluate("data/rollover/" + s, event_cfg=ecfg, method=method, model=model)
    print(json.dumps({"cand": name + "+unswap", "method": method, "events": evn, "set": s, **{k: r.get(k) for k in (
        "hours", "to_prone_events", "event_recall", "false_alarms", "false_alarms_per_hour", "latency_p50_s")}}), flush=True)
