"""Issue 25 round 3, covered face held-out run (ONCE): shipped vs chosen EventConfig."""
import json
from dataclasses import replace
from cribwatch.rollover.absence import measure_covered
from cribwatch.rollover.events import EventConfig
from cribwatch.io import write_json
c = {"shipped": EventConfig(), "chosen": replace(EventConfig(), face_reset_s=2.5)}
sets = tuple("data/rollover/" + s for s in ("r25p_a_quiet", "r25p_b_quiet", "r25p_c_quiet", "famd_quiet"))
out = {"as_eval": measure_covered(sets, c), "without_cut_episodes": measure_covered(sets, c, min_s=4.0)}
write_json("/work/plan/logs/r25p/heldout_b.json", out)
print(json.dumps(out, indent=1))
