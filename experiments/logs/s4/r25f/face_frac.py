"""After f's run, validation only: covered-face reset by fraction on the fit families' quiet sets; famf_quiet for information after."""
import json, sys
from dataclasses import replace
from cribwatch.rollover.absence import measure_covered
from cribwatch.rollover.events import EventConfig
E = EventConfig()
C = {"default (unbroken 2.5)": E, "unbroken 0.7": replace(E, face_reset_s=0.7)}
for w in (2.5, 4.0, 5.0):
    for q in (0.6, 0.75, 0.9):
        C[f"frac {q:g} over {w:g} s"] = replace(E, face_reset_s=w, face_reset_frac=q)
sets = tuple("data/rollover/" + s for s in sys.argv[1].split(","))
r = measure_covered(sets, C)
print(json.dumps(r))
