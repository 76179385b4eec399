"""`color eval` of the shipped slim_ev network (torch pipeline) on the first 60 pairs of
data/pairs-val with the evidence's NIR fit set explicitly: python val.py STRIDE ROUNDS OUT.json
(patches cribwatch.color.model.evidence_stack, which model.evidence_inputs calls)."""
import functools, json, os, sys
from pathlib import Path
import cribwatch.color.evidence as ev
import cribwatch.color.model as model
from cribwatch.color.eval import evaluate, json_ready

stride, rounds = int(sys.argv[1]), int(sys.argv[2])
model.evidence_stack = functools.partial(ev.evidence_stack, stride=stride, rounds=rounds)
s = evaluate(Path("data/pairs-val"), "ssim-guided",
             weights=Path("cribwatch/weights/color_ssim_guided_slim_ev.pt"), limit=60)
out = {"stride": stride, "rounds": rounds, **json_ready(s), "load": os.getloadavg()}
json.dump(out, open(sys.argv[3], "w"))
print(json.dumps(out))
