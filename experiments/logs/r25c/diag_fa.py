import glob, sys
from dataclasses import replace
import numpy as np
from cribwatch.rollover.pose import read_sequence
from cribwatch.rollover.events import frame_probabilities, run_features, EventConfig, Tracker
from cribwatch.rollover.learned import load
R = "data/rollover/"
s = sys.argv[1]
base = replace(EventConfig(), smooth_s=1.0, prone_dwell_s=1.5) if sys.argv[2] == "E1" else EventConfig()
EG = replace(base, roll_gate=True, **eval("dict(" + sys.argv[3] + ")"))
m = load(R + "posture_abr29.pt")
for f in sorted(glob.glob(R + s + "/*.jsonl")):
    fn = f.split("/")[-1]
    seq = read_sequence(f)
    feat, p = frame_probabilities(seq.kp, None, "learned", m)
    for e in run_features(seq.t, feat, p, EG).events:
        if e.event == "to_prone" and e.kind == "alert":
            i1 = int(round(e.time * 15)); i0 = max(0, i1 - 150)
            sw = feat.sw[i0:i1 + 1]
            txt = "".join("." if np.isnan(x) else ("+" if x >= .25 else ("-" if x <= -.25 else "o")) for x in sw)
            print(fn, round(e.time, 2))
            print("  sw:", txt)
            print("  gt:", "".join({"supine": "S", "prone": "P", "side_left": "l", "side_right": "r"}.get(q, "?") for q in seq.posture[i0:i1 + 1]))
            print("  nr:", "".join(str(min(9, int(x))) for x in feat.n_reliable[i0:i1 + 1]))
            ps = np.nan_to_num(p[i0:i1 + 1, 2], nan=-1)
            print("  pp:", "".join("?" if x < 0 else str(min(9, int(x * 10))) for x in ps))
