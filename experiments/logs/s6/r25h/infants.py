"""Ninth round: real infants lying in a cot (NYCUciflab/infant_pose_estimation_and_dataset
sample_data, hand-labelled; evaluation only), night-simulated, the shipped movenet-night once.
python experiments/logs/s6/r25h/infants.py [DATA_DIR]   (DATA_DIR holds sample_data/)"""
import json, sys
from pathlib import Path
import numpy as np
from PIL import Image
from cribwatch.io import write_json
from cribwatch.rollover import nightmeasure as nm
from cribwatch.rollover.measure import torso_length
from cribwatch.rollover.nightpose import NightConfig, NightPose
from cribwatch.rollover.movenet import MoveNetBackend
from cribwatch.rollover.posture import classify

ROOT = Path(sys.argv[1] if len(sys.argv) > 1 else "data/infant-nycu")
COCO = {"Nose": 0, "Eye_L": 1, "Eye_R": 2, "Shoulder_L": 5, "Shoulder_R": 6, "Elbow_L": 7,
        "Elbow_R": 8, "Wrist_L": 9, "Wrist_R": 10, "Hip_L": 11, "Hip_R": 12, "Knee_L": 13,
        "Knee_R": 14, "Ankle_L": 15, "Ankle_R": 16}
cfg = nm.NightMeasureConfig()
photos = []
for ann in sorted(ROOT.glob("sample_data/*/ann/*.json")):
    d = json.loads(ann.read_text())
    img = np.asarray(Image.open(ann.parent.parent / "img" / d["imagePath"]).convert("RGB"))
    ref = np.zeros((17, 3))
    for s in d["shapes"]:
        if s["label"] in COCO:
            ref[COCO[s["label"]]] = [*s["points"][0], 1.0]
    lab = ref[ref[:, 2] > 0, :2]
    x0, y0 = lab.min(axis=0)
    x1, y1 = lab.max(axis=0)
    side = max(x1 - x0, y1 - y0, torso_length(ref, 0.5) * 2)
    m = cfg.crop_margin * side
    h, w = img.shape[:2]
    xa, xb = int(max(0, x0 - m)), int(min(w, x1 + m))
    ya, yb = int(max(0, y0 - m)), int(min(h, y1 + m))
    crop = img[ya:yb, xa:xb]
    s = cfg.crop_side / max(crop.shape[:2])
    crop = np.asarray(Image.fromarray(crop).resize((round(crop.shape[1] * s), round(crop.shape[0] * s)), Image.Resampling.BILINEAR))
    r = ref.copy()
    r[:, 0] = (ref[:, 0] - xa + 0.5) * s - 0.5
    r[:, 1] = (ref[:, 1] - ya + 0.5) * s - 0.5
    r[ref[:, 2] == 0] = 0
    photos.append(nm.Photo(f"nycu:{ann.parent.parent.name}/{ann.stem}", np.ascontiguousarray(crop), r, torso_length(r, 0.5)))
print(json.dumps({"frames": [p.name for p in photos], "labelled13": [int(p.ref[:13, 2].sum()) for p in photos]}))
out = {"photos": [p.name for p in photos], "results": []}
for method in ("movenet+pre+rot", "movenet+pre+rot-track"):
    res = nm.measure_method(method, {"infants": photos}, {}, cfg, lambda: None)
    out["results"].append(res)
    print(json.dumps({"method": method, "found": {k: v for k, v in res["infants"].items() if k != "by_photo"},
                      "by_photo": {k: v["k"] for k, v in res["infants"]["by_photo"].items()},
                      "cpu": res["cpu_ms_per_frame"]}), flush=True)
# clean colour (upright) and clean grey (4 rotations), and the posture on found night frames
be = NightPose(MoveNetBackend(), NightConfig())
clean = {"colour_upright": 0, "grey_4rot": 0}
post: dict[str, int] = {}
for p in photos:
    clean["colour_upright"] += nm.found(be.process(p.rgb), p, 0, (0, 0), cfg.agree)
    g = p.rgb.mean(axis=2).round().astype(np.uint8)
    for k in range(4):
        fr = np.ascontiguousarray(np.repeat(np.rot90(g, k)[:, :, None], 3, axis=2))
        clean["grey_4rot"] += nm.found(be.process(fr), p, k, (0, 0), cfg.agree)
    for k in range(4):
        for sd in range(cfg.seeds):
            fr = nm.night_frame(p.rgb, cfg.seed + 1000 * sd + 17 * k, k)
            kp = be.process(fr)
            if nm.found(kp, p, k, (0, 0), cfg.agree):
                lab = classify(kp)[0][0]
                post[lab] = post.get(lab, 0) + 1
be.close()
out["clean"] = {**clean, "n_colour": len(photos), "n_grey": 4 * len(photos)}
out["posture_on_found_night_frames"] = post
print(json.dumps({"clean": out["clean"], "posture": post}))
write_json("experiments/logs/s6/r25h/infants.json", out)
