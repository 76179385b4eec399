"""After the one family f run (diagnosis only, nothing tuned on it): what the quiet false alarms
and the covered-face false alerts on famf_quiet are (chosen candidate: abrdo29 learned E1G3dp3, veto 0.6)."""
import glob, sys, collections
import numpy as np
sys.path.insert(0, "/work/plan/logs/r25e")
from cands import EVENTS
from cribwatch.rollover.pose import read_sequence
from cribwatch.rollover.events import frame_probabilities, run_features
from cribwatch.rollover.learned import load
from cribwatch.rollover.posture import PostureConfig
m = load("data/rollover/posture_abrdo29.pt")
ec = EVENTS["E1G3dp3"]
cnt, fcnt = collections.Counter(), collections.Counter()
for f in sorted(glob.glob("data/rollover/famf_quiet/*.jsonl")):
    seq = read_sequence(f)
    feat, p = frame_probabilities(seq.kp, PostureConfig(face_veto=0.6), "learned", m)
    cov = seq.covered
    for e in run_features(seq.t, feat, p, ec).events:
        i = int(round(e.time * seq.fps)); w = slice(max(0, i - 30), i + 1); w5 = slice(max(0, i - 75), i + 1)
        if e.event == "to_prone" and e.kind == "alert":
            gt = collections.Counter(seq.posture[w]).most_common(1)[0][0]
            side5 = any(str(q).startswith("side") for q in seq.posture[w5])
            face = float((feat.n_face[w] >= 1).mean())
            sw = feat.sw[w]; sw = sw[np.isfinite(sw) & (np.abs(sw) >= 0.25)]
            order = "none" if len(sw) == 0 else ("+" if np.median(sw) > 0 else "-")
            cnt[(gt.split("_")[0], "side<5s" if side5 else "no-side", "face" if face > 0.5 else "noface", "order" + order)] += 1
        if e.event == "face_not_visible" and e.kind == "alert":
            w4 = slice(max(0, i - 60), i + 1)
            if cov[w4].any():
                continue
            gt = collections.Counter(seq.posture[w4]).most_common(1)[0][0]
            k = seq.kp[w4]
            allzero = float((k[:, :5, 2] == 0).all(axis=1).mean())
            fmax = float(np.median(k[:, :5, 2].max(axis=1)))
            sh = float((k[:, [5, 6], 2] >= 0.5).mean())
            fcnt[(gt.split("_")[0], f"face max score median {round(fmax, 1)}", f"shoulders reliable {round(sh, 1)}")] += 1
print("to_prone false alarms (true posture over 2 s, side passage in 5 s, face in view, shoulder order):")
for k, v in cnt.most_common():
    print(v, k)
print("face_not_visible false alerts (no covering in the 4 s before):", sum(fcnt.values()))
for k, v in fcnt.most_common(12):
    print(v, k)
