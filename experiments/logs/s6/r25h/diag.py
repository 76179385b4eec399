"""Ninth round, diagnosis on TUNING photos only: where does the shipped night pose lose a person
found on the clean photo? Per single-image night frame: found after the presence check, found on
the raw keypoints (before the check zeroes them), reliable count; and the same photo as a clean
grey frame (no noise, no IR mix) to split greyness from the night simulation."""
import json, sys
import numpy as np
from cribwatch.rollover import nightmeasure as nm
from cribwatch.rollover.movenet import MoveNetBackend
from cribwatch.rollover.nightpose import NightPose, NightConfig, reliable_count
from cribwatch.rollover.pose import MediaPipeBackend, MediaPipeConfig
from pathlib import Path
cfg = nm.NightMeasureConfig()
root = Path("data")
mn = NightPose(MoveNetBackend(), nm.REFERENCE_MOVENET)
mp = MediaPipeBackend(MediaPipeConfig(static_image_mode=True))
photos = []
for name in nm.PEOPLE_TUNING9:
    img = nm.load_image(name, root)
    if img is None:
        print("missing", name); continue
    ph = nm.prepare_photo(name, img, mn, mp, cfg)
    if ph is not None:
        photos.append(ph)
mn.close(); mp.close()
be = NightPose(MoveNetBackend(), NightConfig())
rows = []
for ph in photos:
    r = {"photo": ph.name, "night": 0, "night_raw": 0, "grey": 0, "n": 0}
    for k_rot in range(4):
        for s in range(cfg.seeds):
            fr = nm.night_frame(ph.rgb, cfg.seed + 1000 * s + 17 * k_rot, k_rot)
            kp = be.process(fr)
            r["night"] += nm.found(kp, ph, k_rot, (0, 0), cfg.agree)
            r["night_raw"] += nm.found(np.asarray(be.last_raw), ph, k_rot, (0, 0), cfg.agree)
            r["n"] += 1
        g = ph.rgb.mean(axis=2).round().astype(np.uint8)
        gr = np.ascontiguousarray(np.repeat(np.rot90(g, k_rot)[:, :, None], 3, axis=2))
        kp = be.process(gr)
        r["grey"] += nm.found(kp, ph, k_rot, (0, 0), cfg.agree)
    rows.append(r)
    print(json.dumps(r), flush=True)
tot = {k: sum(r[k] for r in rows) for k in ("night", "night_raw", "grey", "n")}
print(json.dumps({"photos": len(rows), **tot, "grey_of": 4 * len(rows)}))
