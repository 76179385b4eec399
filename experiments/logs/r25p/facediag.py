import csv, collections, numpy as np, sys
from cribwatch.rollover.pose import read_sequence
from cribwatch.rollover.events import run, EventConfig
from cribwatch.rollover.posture import PostureConfig
for d in sys.argv[1:]:
    d = "data/rollover/" + d
    cov = list(csv.DictReader(open(d + "/covered.tsv"), delimiter="\t"))
    for r in cov:
        seq = read_sequence(f"{d}/{r['file']}")
        det = run(seq.t, seq.kp, method="both")
        a, b = float(r["onset"]), float(r["offset"])
        hit = [e for e in det.events if e.kind == "alert" and e.event == "face_not_visible" and a <= e.time <= b + 2]
        if hit: continue
        i0 = int(round(a * seq.fps)); i1 = int(round(b * seq.fps))
        dur = seq.kp[i0:i1]
        nface = (dur[:, :5, 2] >= .5).sum(1)
        torso = (dur[:, [5, 6, 11, 12], 2] >= .5).sum(1)
        nrel = (dur[:, :, 2] >= .5).sum(1)
        # longest run of (no face & torso>=2)
        ok = (nface == 0) & (torso >= 2)
        run_ = best = 0
        for v in ok: run_ = run_ + 1 if v else 0; best = max(best, run_)
        print(d.split('/')[-1], r['file'], a, round(b - a, 1), "len", round(seq.t[-1],1), "post", collections.Counter(seq.posture[i0:i1]).most_common(2),
              "face>=1", round(float((nface >= 1).mean()), 2), "torso>=2", round(float((torso >= 2).mean()), 2),
              "nrel mean", round(float(nrel.mean()), 1), "longest ok run s", round(best / seq.fps, 1),
              "nface seq", ''.join(str(min(9,x)) for x in nface[::3]), "torso seq", ''.join(str(x) for x in torso[::3]))
