import json
from cribwatch.rollover.learned import load, WEIGHTS, NUMPY_WEIGHTS, LICENCES
m = load("data/rollover/posture_abr29.pt")
c = json.load(open("data/rollover/posture_abr29.json"))
for k in ("sha256", "written_by"):
    c.pop(k, None)
c["model"] = ("rollover posture MLP (29 keypoint-geometry features: body geometry, scores and "
              "head against torso -> 2 ReLU layers -> supine, side_left, side_right, prone)")
c["architecture"]["inputs"] = "cribwatch.rollover.learned.feature_matrix (29 features, n_features=29)"
c["training"]["command"] = c["training"]["command"] + " --features 29"
c["training"]["n_features"] = 29
c["training"]["families"] = "a (train, train2, train_quiet), b (trainb, trainb_quiet), r (trainr, trainr_quiet: domain-randomised)"
c["training"]["selection"] = "docs/results/rollover-night.md, fourth round (rule written before family c was run; method learned, EventConfig smooth_s 1.0, prone_dwell_s 1.5)"
c["licences"] = dict(LICENCES)
m.save(WEIGHTS, c)
print(json.dumps(json.load(open(WEIGHTS.with_suffix(".json")))["training"]["command"]))
