"""Issue 26 fine-tune driver: python i26net_train.py OUT STEPS CHANGED_CHROMA STATIC_DISTIL GATE_CLOSE CHANGED_WEIGHT [LR]
(= cribwatch.color.train.train(data/colornet/train200, OUT, TrainConfig(steps, minutes=45, seed=0, threads=1,
lr, warmup=20, changed_weight), ARCHITECTURES['slim'], teacher=init=slim weights, change=ChangeConfig(...)))."""
import sys
from pathlib import Path

from cribwatch.color.config import ARCHITECTURES
from cribwatch.color.train import ChangeConfig, TrainConfig, train

out, steps, cc, sd, gc, cw = sys.argv[1], int(sys.argv[2]), *map(float, sys.argv[3:7])
lr = float(sys.argv[7]) if len(sys.argv) > 7 else 1e-3
slim = Path("cribwatch/weights/color_ssim_guided_slim.pt")
cfg = TrainConfig(steps=steps, minutes=45, seed=0, threads=1, lr=lr, warmup=20, changed_weight=cw, log_every=25)
change = ChangeConfig(changed_chroma=cc, static_distil=sd, gate_close=gc)
cmd = "python /work/plan/logs/i26net_train.py " + " ".join(sys.argv[1:])
final = train(Path("data/colornet/train200"), Path(out), cfg, ARCHITECTURES["slim"], teacher=slim, init=slim,
              change=change, command=cmd, progress=lambda d, t: print(d, t, flush=True) if d % 25 == 0 else None)
for h in final["history"]:
    print(h)
print("minutes", final["elapsed_s"] / 60)
