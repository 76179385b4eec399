"""Round 4 (issue 25): train a model on domain-randomised families, score on fit-family val sets."""
import json, sys, time
from dataclasses import replace
import torch
torch.set_num_threads(1)
from cribwatch.rollover.learned import training_frames, train, TrainConfig, card, load
from cribwatch.rollover.eval import evaluate
from cribwatch.rollover.events import EventConfig

R = "data/rollover/"
A = [R + "train", R + "train2", R + "train_quiet"]
B = [R + "trainb", R + "trainb_quiet"]
RR = [R + "trainr", R + "trainr_quiet"]
MODELS = {"r29": (A + RR, 29), "abr29": (A + B + RR, 29), "abr18": (A + B + RR, 18)}
EVENTS = {"E0": EventConfig(), "E1": replace(EventConfig(), smooth_s=1.0, prone_dwell_s=1.5)}
KEYS = ("hours", "to_prone_events", "event_recall", "false_alarms", "false_alarms_per_hour",
        "latency_p50_s", "latency_p90_s", "face_not_visible")
name, sets = sys.argv[1], sys.argv[2].split(",")
if name == "shipped":
    model, methods = load(), ["both", "learned"]
else:
    dirs, nf = MODELS[name]
    out = R + f"posture_{name}.pt"
    try:
        model = load(out)
    except Exception:
        t0 = time.time()
        x, y = training_frames(dirs, n_features=nf)
        model, info = train(x, y, TrainConfig())
        model.save(out, card(info, dirs))
        print(json.dumps({"trained": name, "frames": info["frames"], "acc": info["train_accuracy"],
                          "minutes": round((time.time() - t0) / 60, 2)}), flush=True)
    methods = ["learned"]
evs = EVENTS if len(sys.argv) < 4 else {k: EVENTS[k] for k in sys.argv[3].split(",")}
for s in sets:
    for m in methods:
        for en, ec in evs.items():
            if name == "shipped" and en != "E0":
                continue
            r = evaluate(R + s, event_cfg=ec, method=m, model=model)
            print(json.dumps({"cand": name, "method": m, "events": en, "set": s,
                              **{k: r.get(k) for k in KEYS}}), flush=True)
