"""Part C: new real photos of people nobody here has used (open-mmlab/mmpose tests/data, test-only,
never committed): one person per crop (the annotated bbox grown 30% per side)."""
import json, subprocess, io
import numpy as np
from PIL import Image
REPO = "/work/.mirror/open-mmlab+mmpose/repo"
OUT = "/work/main/data/mmpose-people"
def show(p):
    return subprocess.run(["git", "-C", REPO, "show", f"HEAD:{p}"], capture_output=True, check=True).stdout
rows = []
d = json.loads(show("tests/data/coco/test_coco.json"))
ims = {i["id"]: i for i in d["images"]}
lic = {l["id"]: l["name"] for l in d["licenses"]}
k = 0
for a in d["annotations"]:
    x, y, w, h = a["bbox"]
    if a["num_keypoints"] < 12 or h < 140:
        continue
    im = ims[a["image_id"]]
    img = Image.open(io.BytesIO(show("tests/data/coco/" + im["file_name"]))).convert("RGB")
    W, H = img.size
    m = 0.3
    box = (max(0, int(x - m * w)), max(0, int(y - m * h)), min(W, int(x + w + m * w)), min(H, int(y + h + m * h)))
    name = f"coco_{im['file_name'][:-4]}_{k}.png"; k += 1
    img.crop(box).save(f"{OUT}/{name}")
    rows.append((name, "COCO val (via open-mmlab/mmpose tests/data/coco)", lic.get(im.get("license"), "?")))
d = json.loads(show("tests/data/mpii/test_mpii.json"))
for a in d:
    img = Image.open(io.BytesIO(show("tests/data/mpii/" + a["image"]))).convert("RGB")
    W, H = img.size
    c, s = a["center"], a["scale"] * 200 * 1.25
    box = (max(0, int(c[0] - s / 2)), max(0, int(c[1] - s / 2)), min(W, int(c[0] + s / 2)), min(H, int(c[1] + s / 2)))
    name = f"mpii_{a['image'][:-4]}.png"
    img.crop(box).save(f"{OUT}/{name}")
    rows.append((name, "MPII Human Pose (via open-mmlab/mmpose tests/data/mpii)", "MPII: Simplified BSD"))
for r in rows:
    print("\t".join(r))
