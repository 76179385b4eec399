import json, sys
sys.argv = ["x"]
import numpy as np
exec(open("experiments/logs/s6/r25h/infants.py").read().split("print(json.dumps({\"frames\"")[0])
from cribwatch.rollover.nightpose import LR_SWAP
be = NightPose(MoveNetBackend(), NightConfig())
for p in photos:
    kp = be.process(p.rgb); raw = np.asarray(be.last_raw)
    d = np.linalg.norm(raw[:13, :2] - p.ref[:13, :2], axis=1) / p.scale
    ds = np.linalg.norm(raw[list(LR_SWAP)][:13, :2] - p.ref[:13, :2], axis=1) / p.scale
    lab = p.ref[:13, 2] > 0
    print(p.name, "present", bool(kp[:, 2].max() > 0), "scores>=.5", int((raw[:13, 2] >= .5).sum()), "near", int(((d <= .25) & lab).sum()), "near_swapped", int(((ds <= .25) & lab).sum()), "near_and_reliable", int(((d <= .25) & lab & (raw[:13,2]>=.5)).sum()))
