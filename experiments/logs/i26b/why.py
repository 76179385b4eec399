import json, sys, numpy as np
rows = [json.loads(l) for f in sys.argv[1:] for l in open(f)]
for r in rows:
    e = r['err']; b = r['base_best']
    if e[b] > 3:
        k = min(e, key=e.get)
        print(r['i'], r['scene'][:22], f"chosen {e[b]:.1f} cons {r['cons'][b]:.2f} | oracle {k} {e[k]:.1f} cons {r['cons'][k]:.2f}")
