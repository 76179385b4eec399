import time
from cribwatch.rollover.events import EventConfig, frame_probabilities, run_features
from cribwatch.rollover.learned import load
from cribwatch.rollover.pose import read_sequence
m = load("data/rollover/posture_abr29.pt")
t0 = time.time(); seq = read_sequence("data/rollover/famd_roll/seq0000.jsonl"); t1 = time.time()
feat, p = frame_probabilities(seq.kp, None, "learned", m); t2 = time.time()
run_features(seq.t, feat, p, EventConfig()); t3 = time.time()
print(len(seq.t), "read", t1-t0, "probs", t2-t1, "track", t3-t2)
