import sys; sys.argv=['x']; sys.path.insert(0,'/tmp/i26b')
import exp3, numpy as np
from cribwatch.color.pairs import load_pair_set
from cribwatch.io import read_gray, read_rgb
from cribwatch.color import align as A
pairs = load_pair_set('data/cam/tune-camera')
for i in [0,1]:
    p=pairs[i]; n, r = read_gray(p.night), read_rgb(p.reference)
    row = exp3.run(n, A._gray(r), np.asarray(p.meta['ref_warp']['night_to_reference']))
    print(row['times'], row['ni'], {k: round(v,2) for k,v in row['err'].items()})
