set -e
cd /work/main
while ! grep -q "TRAIN SETS DONE" /work/plan/logs/r25e/sets.log; do sleep 5; done
R=data/rollover
D="--data $R/train --data $R/train2 --data $R/train_quiet --data $R/trainb --data $R/trainb_quiet --data $R/trainr --data $R/trainr_quiet --data $R/traino --data $R/traino_quiet --data $R/traind --data $R/traind_quiet"
export OMP_NUM_THREADS=1 MKL_NUM_THREADS=1
nice -n 5 .venv/bin/cribwatch rollover train-posture $D --out $R/posture_abrdo29.pt --features 29 --epochs 12 --seed 0
echo TRAINED 29
nice -n 5 .venv/bin/cribwatch rollover train-posture $D --out $R/posture_abrdo33.pt --features 33 --epochs 12 --seed 0
echo TRAINED 33
