"""Issue 26 session 4 fine-tune with change evidence: python i26ev_train.py OUT STEPS CHANGED_CHROMA STATIC_DISTIL GATE_CLOSE CHANGED_WEIGHT LOGISTIC.json
(= cribwatch.color.train.train(data/colornet/train200, OUT, TrainConfig(steps, minutes=38, seed=0, threads=1, lr=1e-3,
warmup=20, changed_weight), ARCHITECTURES['slim'], teacher=init=slim weights, change=ChangeConfig(...), evidence=Logistic(**json)))."""
import json, sys
from pathlib import Path
from cribwatch.color.config import ARCHITECTURES
from cribwatch.color.evidence import Logistic
from cribwatch.color.train import ChangeConfig, TrainConfig, train

out, steps, cc, sd, gc, cw = sys.argv[1], int(sys.argv[2]), *map(float, sys.argv[3:7])
ev = Logistic(**json.load(open(sys.argv[7])))
slim = Path("cribwatch/weights/color_ssim_guided_slim.pt")
cfg = TrainConfig(steps=steps, minutes=38, seed=0, threads=1, lr=1e-3, warmup=20, changed_weight=cw, log_every=25)
change = ChangeConfig(changed_chroma=cc, static_distil=sd, gate_close=gc)
cmd = "python /work/plan/logs/s4/i26ev_train.py " + " ".join(sys.argv[1:])
final = train(Path("data/colornet/train200"), Path(out), cfg, ARCHITECTURES["slim"], teacher=slim, init=slim,
              change=change, evidence=ev, command=cmd, progress=lambda d, t: print(d, t, flush=True) if d % 25 == 0 else None)
for h in final["history"]:
    print(h)
print("minutes", final["elapsed_s"] / 60)
