"""After f's one run, diagnosis only: f's covered-face false alerts against face_reset_s."""
import json
from dataclasses import replace
from cribwatch.rollover.absence import measure_covered
from cribwatch.rollover.events import EventConfig
E = EventConfig()
c = {f"reset{r:g}": replace(E, face_reset_s=r) for r in (0.7, 1.5, 2.5)}
r = measure_covered(("data/rollover/famf_quiet",), c)
for k, v in r.items():
    print(k, json.dumps(v))
