"""Bake a head edit into a fine-tuned checkpoint and ship it: python i26net_ship.py CKPT K B S OUT.pt RUN"""
import sys
from pathlib import Path

import torch

from cribwatch.cards import card_path, read_card, write_card
from cribwatch.color.checkpoint import load_checkpoint, save_checkpoint
from cribwatch.color.train import ship

ckpt, k, b, s, out, run = Path(sys.argv[1]), *map(float, sys.argv[2:5]), Path(sys.argv[5]), sys.argv[6]
state = load_checkpoint(ckpt)
m = state["model"]
with torch.no_grad():
    m["head.weight"] = m["head.weight"] * s
    m["head.bias"] = m["head.bias"] * s
    m["gate.weight"] = m["gate.weight"] * k
    m["gate.bias"] = m["gate.bias"] * k + b
tmp = Path(f"/tmp/i26_edited_{run}.pt")
save_checkpoint(tmp, state)
recipe = {
    "make_pairs": "cribwatch color make-pairs --images data/scenes --stamps data/stamps --out data/colornet/train200 --n 200 --seed 0 --split train",
    "source": "cribwatch data fetch --dest data",
}
card = ship(tmp, out, "ssim-guided", recipe=recipe)
card = read_card(card_path(out), "color")
card["model"] += "; slim, fine-tuned to learn where the scene changed (issue 26)"
card["fine_tune"] = {
    "run": run,
    "init": "color_ssim_guided_slim.pt",
    "teacher": "color_ssim_guided_slim.pt (static_distil: unchanged pixels only)",
    "change": state["meta"].get("change"),
    "checkpoint": str(ckpt),
}
card["head_edit"] = {
    "gate_temperature_k": k,
    "gate_bias_b": b,
    "ab_gain_s": s,
    "meaning": "gate = sigmoid(k*y + b) * limit (gate conv weights and bias x k, then + b); own ab = tanh(s*y) (ab head x s); chosen on validation pairs by the rule of docs/results/color.md",
}
write_card(card_path(out), card)
print(card_path(out))
