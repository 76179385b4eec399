import csv, collections, numpy as np
from dataclasses import replace
from cribwatch.rollover.pose import read_sequence
from cribwatch.rollover.events import run, EventConfig
from cribwatch.rollover.learned import load
import sys
if 0:
  pass
# 1) covered-face misses on vala_quiet (shipped both)
import os
d = "data/rollover/vala_quiet"
cov = [] if os.environ.get("ONLY_FA") else list(csv.DictReader(open(d + "/covered.tsv"), delimiter="\t"))
for r in cov:
    seq = read_sequence(f"{d}/{r['file']}")
    det = run(seq.t, seq.kp, method="both")
    a, b = float(r["onset"]), float(r["offset"])
    hit = [e for e in det.events if e.kind == "alert" and e.event == "face_not_visible" and a <= e.time <= b + 2]
    if not hit:
        i0 = int(a * seq.fps); i1 = int(b * seq.fps)
        pre = seq.kp[max(0, i0 - 45):i0, :5, 2]
        dur = seq.kp[i0:i1, :5, 2]
        print("MISS", r["file"], a, round(b - a, 1), "posture", collections.Counter(seq.posture[i0:i1]).most_common(2),
              "face-before", round(float(((pre >= .5).sum(1) >= 1).mean()), 2), "face-during", round(float(((dur >= .5).sum(1) >= 1).mean()), 2),
              "body", round(float((seq.kp[i0:i1, [5, 6, 11, 12], 2] >= .5).sum(1).mean()), 2))
# 2) false alarms on famc_quiet (abr29 E1): true posture around the alert
m = load("data/rollover/posture_abr29.pt")
ec = replace(EventConfig(), smooth_s=1.0, prone_dwell_s=1.5)
d = "data/rollover/famc_quiet"
import glob
c = collections.Counter()
for f in sorted(glob.glob(d + "/*.jsonl")):
    seq = read_sequence(f)
    det = run(seq.t, seq.kp, method="learned", model=m, event_cfg=ec)
    for e in det.events:
        if e.event == "to_prone" and e.kind == "alert":
            i = int(e.time * seq.fps)
            w = seq.posture[max(0, i - 30):i + 1]
            c[collections.Counter(w).most_common(1)[0][0]] += 1
print("FA true posture (last 2 s):", dict(c))
