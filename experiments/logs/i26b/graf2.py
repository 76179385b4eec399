import numpy as np, cv2, sys, json
from dataclasses import replace
from cribwatch.color import align as A
from cribwatch.io import read_rgb
from cribwatch.sim.night import simulate_night
cv2.setNumThreads(1)
D='data/debian/opencv-doc/usr/share/doc/opencv-doc/examples/data/'
g1, g3 = read_rgb(D+'graf1.png'), read_rgb(D+'graf3.png')
fs = cv2.FileStorage(D+'H1to3p.xml', cv2.FILE_STORAGE_READ); H = fs.getNode('H13').mat(); fs.release()
night, _ = simulate_night(g1, np.random.default_rng(0))
mi = int(sys.argv[1]) if len(sys.argv) > 1 else 20
for name, n in [('grey', g1 @ np.array([0.299,0.587,0.114], np.float32)), ('simulated-night', night)]:
    a = A.align(n, g3)
    print(name, round(A.registration_error(a.matrix, H, n.shape), 2), a.ok, a.inliers, round(a.ms), a.reasons, flush=True)
