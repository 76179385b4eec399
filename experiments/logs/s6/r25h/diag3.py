"""Ninth round, diagnosis on TUNING photos only: found by the night draw's parameters (shipped
night pose, single image, the measurement's own draws): which exposures and noise levels lose
the person? Prints found rates by the drawn signal-to-noise of the frame."""
import json
from pathlib import Path
import numpy as np
from cribwatch.rollover import nightmeasure as nm
from cribwatch.rollover.movenet import MoveNetBackend
from cribwatch.rollover.nightpose import NightPose, NightConfig
from cribwatch.rollover.pose import MediaPipeBackend, MediaPipeConfig
from cribwatch.sim.night import render_night, sample_params
cfg = nm.NightMeasureConfig()
mn = NightPose(MoveNetBackend(), nm.REFERENCE_MOVENET)
mp = MediaPipeBackend(MediaPipeConfig(static_image_mode=True))
photos = []
for n in nm.PEOPLE_TUNING9:
    im = nm.load_image(n, Path("data"))
    ph = nm.prepare_photo(n, im, mn, mp, cfg) if im is not None else None
    if ph is not None:
        photos.append(ph)
mn.close(); mp.close()
be = NightPose(MoveNetBackend(), NightConfig())
rows = []
for ph in photos:
    for k_rot in range(4):
        for s in range(cfg.seeds):
            seed = cfg.seed + 1000 * s + 17 * k_rot
            rng = np.random.default_rng(seed)
            p = sample_params(rng)
            night = render_night(ph.rgb.astype(np.float32) / 255.0, p, rng)
            g = (np.clip(night, 0, 1) * 255).round().astype(np.uint8)
            fr = np.ascontiguousarray(np.repeat(np.rot90(g, k_rot)[:, :, None], 3, axis=2))
            f = nm.found(be.process(fr), ph, k_rot, (0, 0), cfg.agree)
            # the frame's own contrast-to-noise: std of the noise-free rendering vs. noise
            clean = render_night(ph.rgb.astype(np.float32) / 255.0,
                                 type(p)(**{**p.__dict__, "photons": 1e7, "read_noise": 0.0, "jpeg_quality": None}),
                                 np.random.default_rng(0))
            rows.append({"photo": ph.name, "found": bool(f), "exposure": p.exposure, "photons": p.photons,
                         "contrast": p.contrast, "mean": float(night.mean()),
                         "snr": float(clean.std() / max(np.std(night - clean), 1e-6))})
json.dump(rows, open("experiments/logs/s6/r25h/diag3.json", "w"))
snr = np.array([r["snr"] for r in rows]); fd = np.array([r["found"] for r in rows])
for lo, hi in zip(np.quantile(snr, [0, .25, .5, .75]), np.quantile(snr, [.25, .5, .75, 1])):
    sel = (snr >= lo) & (snr <= hi)
    print(json.dumps({"snr": [round(float(lo), 2), round(float(hi), 2)], "found": int(fd[sel].sum()), "of": int(sel.sum())}))
ex = np.array([r["exposure"] for r in rows])
for lo, hi in ((0.12, 0.2), (0.2, 0.3), (0.3, 0.45)):
    sel = (ex >= lo) & (ex < hi)
    print(json.dumps({"exposure": [lo, hi], "found": int(fd[sel].sum()), "of": int(sel.sum())}))
