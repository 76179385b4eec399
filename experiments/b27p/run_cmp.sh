cd /work/main
export OMP_NUM_THREADS=1
for d in valA test; do
  echo "== $d $(date -u) $(uptime)"
  nice -n 5 .venv/bin/python -c "
import json; from pathlib import Path; from cribwatch.cry.board import voicing_comparison as f
print(json.dumps(f(Path('data/cry/$d'), scorer_model=Path('cribwatch/weights/cry_int8.onnx'))))"
  echo "== done $d $(date -u) $(uptime)"
done
