"""Ninth round, diagnosis on TUNING photos only (after the scan): which part of the night
simulation loses the person? The shipped night pose, single image, 6 draws x 4 rotations, with
the simulator's ranges changed one group at a time."""
import json
from dataclasses import replace
from pathlib import Path
import numpy as np
from cribwatch.rollover import nightmeasure as nm
from cribwatch.rollover.movenet import MoveNetBackend
from cribwatch.rollover.nightpose import NightPose, NightConfig
from cribwatch.rollover.pose import MediaPipeBackend, MediaPipeConfig
from cribwatch.sim.night import NightRanges, render_night, sample_params
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
R = NightRanges()
VARIANTS = {
    "night": R,
    "no_noise_blur_jpeg": replace(R, photons=(1e7, 1e7), read_noise=(0.0, 0.0), blur=(0.0, 0.0), jpeg_prob=0.0),
    "no_vignette_exposure_contrast": replace(R, vignette=(0.0, 0.0), exposure=(1.0, 1.0), contrast=(1.0, 1.0), black=(0.0, 0.0), gamma=(1.0, 1.0)),
    "luma_only": replace(R, bleach=(0.0, 0.0), w_r=(0.2126, 0.2126), g_share=(0.7152 / 0.7874, 0.7152 / 0.7874)),
}
be = NightPose(MoveNetBackend(), NightConfig())
for name, rng_r in VARIANTS.items():
    k = n = 0
    by = {}
    for ph in photos:
        kk = 0
        for k_rot in range(4):
            for s in range(cfg.seeds):
                seed = cfg.seed + 1000 * s + 17 * k_rot
                rng = np.random.default_rng(seed)
                p = sample_params(rng, rng_r)
                night = render_night(ph.rgb.astype(np.float32) / 255.0, p, rng)
                g = (np.clip(night, 0, 1) * 255).round().astype(np.uint8)
                fr = np.ascontiguousarray(np.repeat(np.rot90(g, k_rot)[:, :, None], 3, axis=2))
                f = nm.found(be.process(fr), ph, k_rot, (0, 0), cfg.agree)
                kk += f; n += 1
        k += kk; by[ph.name.split(":")[-1][:18]] = kk
    print(json.dumps({"variant": name, "found": k, "of": n, "by_photo": by}), flush=True)
