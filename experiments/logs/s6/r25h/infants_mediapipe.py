"""Diagnosis after the one run (not a method choice): does MediaPipe Pose (as shipped, and inside the
night wrapper) find the swaddled newborn (infant 096) on the clean colour frame, where MoveNet scores
none of its keypoints? Found by the issue's rule against the hand labels."""
import json, sys
sys.argv = sys.argv[:1]
import numpy as np
exec(open("experiments/logs/s6/r25h/infants.py").read().split('print(json.dumps({"frames"')[0])
from cribwatch.rollover.pose import MediaPipeBackend, MediaPipeConfig
mp = MediaPipeBackend(MediaPipeConfig(static_image_mode=True))
mpn = NightPose(MediaPipeBackend(MediaPipeConfig(static_image_mode=True)), NightConfig(refine=False, consistency=0.0))
for p in photos:
    a = mp.process(p.rgb)
    b = mpn.process(p.rgb)
    print(json.dumps({"frame": p.name, "mediapipe_found": bool(nm.found(a, p, 0, (0, 0), cfg.agree)),
                      "mediapipe_reliable13": int((a[:13, 2] >= 0.5).sum()),
                      "mediapipe_night_wrapper_found": bool(nm.found(b, p, 0, (0, 0), cfg.agree))}))
