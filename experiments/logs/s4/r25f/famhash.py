import hashlib, sys
from cribwatch.rollover.synth import FAMILIES, SynthConfig, family_config, generate, HELDOUT_RANGES
out = {}
for f in "abcdeor":
    for sc in (SynthConfig(seq_s=40.0), SynthConfig(seq_s=40.0, quiet=True, scene=HELDOUT_RANGES)):
        s, ev = generate(11, family_config(f, sc))
        out[f + str(sc.quiet)] = hashlib.sha256(s.kp.tobytes() + repr(ev).encode()).hexdigest()[:16]
print(out)
