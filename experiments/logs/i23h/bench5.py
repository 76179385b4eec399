import json, os, time
import numpy as np
from cribwatch.cry import yamnet as y
out = {"load": os.getloadavg()}
out["onnx"] = y.ms_per_patch(y.Yamnet(y.ONNX_WEIGHTS, embedding=True), n=200)
out["load_after"] = os.getloadavg()
print(json.dumps(out, default=str))
