# Recalibration of the integer harmonicity threshold on data/cry/valA (the rule in docs/BOARD.md)
import numpy as np, csv, json, sys
from pathlib import Path
from cribwatch.cry import postprocess as pp
from cribwatch.cry.audio import read_audio
cfg = pp.FilterConfig()  # the card's pitch settings: f0 250-2200, harmonicity 0.45, share 0.15
card = json.load(open("cribwatch/weights/cry.json"))["detector"]
cfg = pp.FilterConfig.from_dict(card)
tb = pp.int_pitch_tables(cfg.f0_min_hz, cfg.f0_max_hz, cfg.harmonicity_min)
d = Path("data/cry/valA")
cries = {}
for r in csv.DictReader(open(d / "cries.tsv"), delimiter="\t"):
    cries.setdefault(r["file"], []).append((float(r["onset"]), float(r["offset"])))
H = np.arange(int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]))
fl, it = [], []  # per cry window: float pass; integer share per threshold
for f in sorted((d / "audio").glob("*")):
    if f.name not in cries:
        continue
    x = read_audio(f)
    a = pp.cry_voiced(*pp.pitch_frames(x, cfg), cfg)
    lag, hq = pp.int_pitch_frames_q(pp._int16(x), cfg)
    inr = (lag >= tb.vlag_lo) & (lag <= tb.vlag_hi)
    pw = pp.block_powers(x)
    for k in range((len(a) - 49) // 25 + 1):
        if pp.window_level_db(pw, k, cfg) < cfg.gate_dbfs:
            continue
        t0, t1 = 0.5 * k, 0.5 * k + 1
        if not any(t0 >= on - 0.1 and t1 <= off + 0.1 for on, off in cries[f.name]):
            continue
        fl.append(a[25 * k : 25 * k + 49].mean() >= cfg.voiced_share_min)
        sl = slice(25 * k, 25 * k + 49)
        it.append([(inr[sl] & (hq[sl] >= h)).mean() >= cfg.voiced_share_min for h in H])
fl, it = np.array(fl), np.array(it)
rate_f = fl.mean(); rates = it.mean(axis=0)
ok = H[rates >= rate_f]
print(json.dumps({"windows": int(fl.size), "float_rate": float(rate_f),
                  "card_q15": tb.harm_q15, "rate_at_card": float(rates[np.argmin(np.abs(H - tb.harm_q15))]),
                  "chosen_q15": int(ok.max()) if ok.size else None,
                  "rates": {int(h): round(float(r), 4) for h, r in zip(H, rates)}}))
