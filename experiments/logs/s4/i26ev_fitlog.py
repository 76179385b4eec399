import sys, json
from dataclasses import asdict
import numpy as np
from cribwatch.color.evidence import fit_logistic
tr = np.load(sys.argv[1])
m = fit_logistic(list(tr["x"]), list(tr["y"]))
json.dump(asdict(m), open(sys.argv[2], "w"))
