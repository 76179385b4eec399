"""Round 6 (issue 25): candidates on fit-family validation sets; each file read once."""
import json, sys, time
from pathlib import Path
import cribwatch.rollover.eval as ev
from cribwatch.rollover.events import frame_probabilities, run_features
from cribwatch.rollover.learned import load
from cribwatch.rollover.pose import read_sequence
sys.path.insert(0, "/work/plan/logs/r25e")
from cands import EVENTS, KEYS  # noqa: E402
R = "data/rollover/"
CANDS = [(m, meth, e) for m in ("abrdo29", "abrdo33") for meth in ("learned", "both")
         for e in ("E0", "E1", "E1G3dp3")] + [("abr29", "learned", "E1G3dp3")]
if len(sys.argv) > 2:
    CANDS = [c for c in CANDS if c[0] in sys.argv[2].split(",")]
models = {m: load(f"{R}posture_{m}.pt") for m in {c[0] for c in CANDS}}
for s in sys.argv[1].split(","):
    t0 = time.time()
    d = Path(R + s)
    truth = ev._read_truth(d)
    counts = {c: ev._Counts() for c in CANDS}
    files = sorted(d.glob("*.jsonl"))
    for f in files:
        seq = read_sequence(f)
        secs = float(seq.t[-1] - seq.t[0]) + 1.0 / seq.fps
        probs = {}
        for c in CANDS:
            key = (c[0], c[1])
            if key not in probs:
                probs[key] = frame_probabilities(seq.kp, None, c[1], models[c[0]])
            feat, p = probs[key]
            ec = EVENTS[c[2]]
            counts[c].seconds += secs
            det = run_features(seq.t, feat, p, ec)
            ev._score_file(seq, det, f.name, truth, ec, ev.EvalConfig(), counts[c])
    for c in CANDS:
        r = ev._result(d, c[1], EVENTS[c[2]], len(files), counts[c])
        print(json.dumps({"cand": c[0], "method": c[1], "events": c[2], "set": s,
                          **{k: r.get(k) for k in KEYS}}), flush=True)
    print(json.dumps({"set": s, "secs": round(time.time() - t0, 1)}), flush=True)
