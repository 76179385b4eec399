set -e
cd /work/main
C="nice -n 5 .venv/bin/cribwatch rollover make-set"
$C --out data/rollover/famd_roll --hours 3 --seed 7401 --ranges heldout --family d
$C --out data/rollover/famd_quiet --hours 10 --seed 7402 --ranges heldout --family d --quiet
echo D SETS DONE
