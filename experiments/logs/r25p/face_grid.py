import json, time, itertools
from dataclasses import replace
from cribwatch.rollover.absence import measure_covered
from cribwatch.rollover.events import EventConfig
cands = {}
for h, r, mf in itertools.product((3.0, 4.0, 5.0), (0.7, 1.5, 2.5, 3.5), (1, 2)):
    cands[f"hold{h}_reset{r}_min{mf}"] = replace(EventConfig(), face_hold_s=h, face_reset_s=r, min_face=mf)
sets = tuple("data/rollover/" + s for s in ("vala_quiet", "famb_quiet", "famr_quiet", "famc_quiet"))
t0 = time.time()
for min_s in (0.0,):
    r = measure_covered(sets, cands, min_s=min_s)
    json.dump(r, open(f"/work/plan/logs/r25p/face_grid_{min_s}.json", "w"), indent=1)
print("done", time.time() - t0)
