"""Issue 25, ninth round: a fourth fresh held-out set of real people and a fresh set of frames
without a person, from open-mmlab/mmpose's tests/data (Apache-2.0 repository; the photos carry
their data sets' own licences; test-only, never committed). Rule, fixed before any method runs
on them: every annotation of the COCO-style folders below with >= 12 labelled keypoints (v > 0)
and a box >= 140 px high, cut to its box grown by 30% per side (as in the seventh round's
extract_people.py); digital-art folders (humanart) are left out (not photos of real people).
Frames without a person: every image of the animal and insect folders, whole.

    python experiments/logs/s6/r25h/extract.py [MMPOSE_GIT_DIR] [DATA_ROOT]
"""
import io, json, subprocess, sys
from pathlib import Path
from PIL import Image

REPO = sys.argv[1] if len(sys.argv) > 1 else "/work/.mirror/open-mmlab+mmpose/repo"
ROOT = Path(sys.argv[2] if len(sys.argv) > 2 else "data")
PEOPLE = ("crowdpose/test_crowdpose.json", "ochuman/test_ochuman.json", "aic/test_aic.json",
          "mhp/test_mhp.json", "exlpose/test_exlpose.json", "jhmdb/test_jhmdb_sub1.json",
          "posetrack18/annotations/test_posetrack18_val.json", "h36m/h36m_coco.json")
ANIMALS = ("ap10k", "animalpose", "horse10", "macaque", "atrw", "zebra", "locust", "fly")


def git(*a):
    return subprocess.run(["git", "-C", REPO, *a], capture_output=True, check=True).stdout


FILES = git("ls-tree", "-r", "--name-only", "HEAD", "tests/data").decode().split("\n")


def find(folder, file_name):
    want = f"tests/data/{folder}/"
    exact = [f for f in FILES if f.startswith(want) and f.endswith("/" + file_name)]
    if not exact:
        base = file_name.split("/")[-1]
        exact = [f for f in FILES if f.startswith(want) and f.endswith("/" + base) and "/mask/" not in f]
    return exact[0] if exact else None


out = ROOT / "mmpose-people"
out.mkdir(parents=True, exist_ok=True)
names = []
for js in PEOPLE:
    folder = js.split("/")[0]
    d = json.loads(git("show", f"HEAD:tests/data/{js}"))
    ims = {i["id"]: i for i in d["images"]}
    for k, a in enumerate(d["annotations"]):
        kp = a.get("keypoints") or []
        x, y, w, h = a.get("bbox") or (0, 0, 0, 0)
        if sum(1 for v in kp[2::3] if v > 0) < 12 or h < 140:
            continue
        im = ims[a["image_id"]]
        path = find(folder, im["file_name"])
        if path is None:
            print("missing", folder, im["file_name"], file=sys.stderr)
            continue
        img = Image.open(io.BytesIO(git("show", f"HEAD:{path}"))).convert("RGB")
        W, H = img.size
        m = 0.3
        box = (max(0, int(x - m * w)), max(0, int(y - m * h)),
               min(W, int(x + w + m * w)), min(H, int(y + h + m * h)))
        name = f"r9_{folder}_{k}.png"
        img.crop(box).save(out / name)
        names.append(name)
animals = ROOT / "mmpose-animals"
animals.mkdir(parents=True, exist_ok=True)
empties = []
for folder in ANIMALS:
    for f in FILES:
        if f.startswith(f"tests/data/{folder}/") and f.lower().endswith((".jpg", ".jpeg", ".png")):
            img = Image.open(io.BytesIO(git("show", f"HEAD:{f}"))).convert("RGB")
            name = f"{folder}_{f.split('/')[-1].rsplit('.', 1)[0]}.png"
            img.save(animals / name)
            empties.append(name)
print(json.dumps({"people": names, "empty": empties}, indent=1))
