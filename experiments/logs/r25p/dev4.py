"""Development after round 3 (no held-out claim): person-vote crop scores on a wider people set
(astronaut, face + grace_hopper, squat, posenet: the latter three used three times, no longer held out)."""
import json, numpy as np, cv2
from pathlib import Path
from cribwatch.rollover import nightmeasure as nm
from cribwatch.rollover.nightpose import NightPose, NightConfig, preprocess_ir, crop_matrix, PERSON_SIDE
from cribwatch.rollover.movenet import MoveNetBackend, PersonDetector
from cribwatch.rollover.pose import MediaPipeBackend, MediaPipeConfig
root = Path("data"); cfg = nm.NightMeasureConfig()
mn = NightPose(MoveNetBackend(), nm.REFERENCE_MOVENET); mp = MediaPipeBackend(MediaPipeConfig(static_image_mode=True))
photos = [ph for n in nm.PEOPLE_TUNING + nm.PEOPLE_HELDOUT if (img := nm.load_image(n, root)) is not None and (ph := nm.prepare_photo(n, img, mn, mp, cfg)) is not None]
mn.close(); mp.close()
be = NightPose(MoveNetBackend(), NightConfig()); pdet = PersonDetector()
Z = (0.5, 0.6, 0.7, 0.8, 1.0, 1.2, 1.4, 1.7)
def one(fr):
    kp = be.process(fr)
    f = {"present": bool(kp[:, 2].max() > 0)}
    if f["present"]:
        pre = preprocess_ir(fr, be.config); g = cv2.cvtColor(pre, cv2.COLOR_RGB2GRAY)
        raw = be.last_raw.astype(np.float64); h, w = g.shape
        cx, cy, size = be._box(raw, w, h)
        f["s"] = [pdet.score_crop(g, crop_matrix(cx, cy, size * z, be.last_up, PERSON_SIDE)) for z in Z]
        f["s_up0"] = [pdet.score_crop(g, crop_matrix(cx, cy, size * z, np.array([0., -1.]), PERSON_SIDE)) for z in (0.8, 1.2)]
    return f, kp
out = {"people": [], "side": [], "empty": [], "Z": Z}
for ph in photos:
    for k in range(4):
        for s in range(cfg.seeds):
            f, kp = one(nm.night_frame(ph.rgb, cfg.seed + 1000 * s + 17 * k, k))
            f["found"] = bool(nm.found(kp, ph, k, (0, 0), cfg.agree)); f["image"] = ph.name; f["rot"] = 90 * k
            out["people"].append(f)
for n in nm.SIDE_TUNING:
    im = nm.load_image(n, root)
    for k in range(4):
        for s in range(3):
            f, _ = one(nm.night_frame(im, cfg.seed + 1000 * s + 17 * k, k)); f["image"] = n; out["side"].append(f)
for n in nm.EMPTY_TUNING3 + nm.tux_animals(root):
    im = nm._resize(nm.load_image(n, root), cfg.crop_side, grow=True)
    for k in range(4):
        f, _ = one(nm.night_frame(im, cfg.seed + 17 * k, k)); f["image"] = n; out["empty"].append(f)
json.dump(out, open("/work/plan/logs/r25p/dev4.json", "w"))
print("done")
