"""Ninth round, second amendment: train the learned noise filter on the wallpapers of data/scenes
(mate-*, plasma-*; the scikit-image samples there are left out: one is the astronaut, a tuning
photo of a person), every 8th wallpaper kept for the filter's own validation error.
python experiments/logs/s6/r25h/train_denoise.py OUT.onnx [scale] [steps] [channels] [layers]"""
import json, sys, time
from dataclasses import replace
from pathlib import Path
from cribwatch.rollover.denoise import DenoiseTrainConfig, train_denoiser
out = sys.argv[1]
cfg = DenoiseTrainConfig()
for i, f in enumerate(("scale", "steps", "channels", "layers")):
    if len(sys.argv) > 2 + i:
        cfg = replace(cfg, **{f: type(getattr(cfg, f))(sys.argv[2 + i])})
walls = sorted(p for p in Path("data/scenes").iterdir() if p.name.startswith(("mate-", "plasma-")))
val = walls[::8]
fit = [p for p in walls if p not in val]
t = time.time()
card = train_denoiser(fit, out, cfg, val_scenes=val)
print(json.dumps({"out": out, "fit": len(fit), "val": len(val), "seconds": round(time.time() - t), "training": card["training"]}))
