set -x
C=.venv/bin/cribwatch
L=/work/plan/logs/s4/i26
$C color make-pairs --images data/scenes --stamps data/stamps --out data/cam/test-camera-a8 --n 100 --seed 202 --split test --ref-warp camera --align-frames 8
for d in data/cam/test-camera/0*; do b=$(basename $d); for f in night reference target mask; do cmp -s $d/$f.png data/cam/test-camera-a8/$b/$f.png || echo "DIFF $b $f"; done; done
echo same-bytes-check-done
$C color make-pairs --images data/scenes --stamps data/stamps --out data/cam/test-room --n 100 --seed 404 --split test --ref-warp camera --min-structure 0.05 --max-changed 0.3 --align-frames 8
$C color make-pairs --images data/scenes --stamps data/stamps --out data/cam/test-room-identity --n 100 --seed 404 --split test --ref-warp identity --min-structure 0.05 --max-changed 0.3
.venv/bin/python $L/ho4.py data/cam/test-camera-a8 data/cam/test-identity $L/ho4_old.jsonl 8
.venv/bin/python $L/ho4agg.py $L/ho4_old.jsonl
.venv/bin/python $L/ho4.py data/cam/test-room data/cam/test-room-identity $L/ho4_room.jsonl 1,8
.venv/bin/python $L/ho4agg.py $L/ho4_room.jsonl
