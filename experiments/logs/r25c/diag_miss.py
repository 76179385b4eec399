import csv, glob, sys
from collections import defaultdict
from dataclasses import replace
import numpy as np
from cribwatch.rollover.pose import read_sequence
from cribwatch.rollover.events import frame_probabilities, run_features, EventConfig
from cribwatch.rollover.learned import load
R = "data/rollover/"
s = sys.argv[1]
E1 = replace(EventConfig(), smooth_s=1.0, prone_dwell_s=1.5)
EG = replace(E1, roll_gate=True, **eval("dict(" + sys.argv[2] + ")"))
m = load(R + "posture_abr29.pt")
truth = defaultdict(list)
for r in csv.DictReader(open(R + s + "/events.tsv"), delimiter="\t"):
    if r["event"] == "to_prone": truth[r["file"]].append(float(r["time"]))
n = 0
for f in sorted(glob.glob(R + s + "/*.jsonl")):
    fn = f.split("/")[-1]
    seq = read_sequence(f)
    feat, p = frame_probabilities(seq.kp, None, "learned", m)
    a = [e.time for e in run_features(seq.t, feat, p, E1).events if e.event == "to_prone" and e.kind == "alert"]
    b = [e.time for e in run_features(seq.t, feat, p, EG).events if e.event == "to_prone" and e.kind == "alert"]
    for g in truth[fn]:
        ha = [x for x in a if g <= x <= g + 5]; hb = [x for x in b if g <= x <= g + 5]
        if ha and not hb:
            n += 1
            i0, i1 = int((g - 3) * 15), int((ha[0] + 0.5) * 15)
            sw = feat.sw[i0:i1]
            txt = " ".join("." if np.isnan(x) else ("+" if x >= .25 else ("-" if x <= -.25 else "o")) for x in sw)
            print(fn, g, "alert", round(ha[0], 2), "late", [round(x, 2) for x in b if x > g][:1])
            print("  sw:", txt)
            print("  gt:", "".join(q[0] if q else "?" for q in seq.posture[i0:i1]))
            if n > 8: sys.exit()
