"""After the one family d run (diagnosis only, nothing tuned on it): what the quiet false alarms are."""
import glob, sys, collections
import numpy as np
sys.path.insert(0, "/work/plan/logs/r25c")
from cands import EVENTS
from cribwatch.rollover.pose import read_sequence
from cribwatch.rollover.events import frame_probabilities, run_features
from cribwatch.rollover.learned import load
m = load("data/rollover/posture_abr29.pt")
ec = EVENTS[sys.argv[2]]
cnt = collections.Counter()
for f in sorted(glob.glob(f"data/rollover/{sys.argv[1]}/*.jsonl")):
    seq = read_sequence(f)
    feat, p = frame_probabilities(seq.kp, None, "learned", m)
    for e in run_features(seq.t, feat, p, ec).events:
        if e.event != "to_prone" or e.kind != "alert":
            continue
        i = int(round(e.time * seq.fps)); w = slice(max(0, i - 30), i + 1); w5 = slice(max(0, i - 75), i + 1)
        gt = collections.Counter(seq.posture[w]).most_common(1)[0][0]
        side5 = any(str(q).startswith("side") for q in seq.posture[w5])
        face = float((feat.n_face[w] >= 1).mean())
        sw = feat.sw[w]; sw = sw[np.isfinite(sw) & (np.abs(sw) >= 0.25)]
        order = "none" if len(sw) == 0 else ("+" if np.median(sw) > 0 else "-")
        cnt[(gt.split("_")[0], "side<5s" if side5 else "no-side", "face" if face > 0.5 else "noface", "order" + order)] += 1
for k, v in cnt.most_common():
    print(v, k)
