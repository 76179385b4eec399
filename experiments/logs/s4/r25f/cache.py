"""Cache sets' sequences as npz (read_sequence of JSONL is the slow part): kp, t, posture, covered per file."""
import sys, time, pickle
from pathlib import Path
import numpy as np
from cribwatch.rollover.pose import read_sequence
OUT = Path("data/rollover/cache7"); OUT.mkdir(exist_ok=True)
for s in sys.argv[1:]:
    dst = OUT / f"{s}.pkl"
    if dst.exists():
        continue
    t0 = time.time()
    seqs = []
    for f in sorted(Path("data/rollover", s).glob("*.jsonl")):
        q = read_sequence(f)
        seqs.append((f.name, q))
    with open(str(dst) + ".tmp", "wb") as fh:
        pickle.dump(seqs, fh, protocol=4)
    Path(str(dst) + ".tmp").rename(dst)
    print(s, len(seqs), round(time.time() - t0, 1), flush=True)
