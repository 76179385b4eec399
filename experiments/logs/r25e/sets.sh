set -e
cd /work/main
C="nice -n 5 .venv/bin/cribwatch rollover make-set"
# held-out family e (generated now, not looked at until the one run)
$C --out data/rollover/fame_roll --hours 3 --seed 7901 --ranges heldout --family e
$C --out data/rollover/fame_quiet --hours 10 --seed 7902 --ranges heldout --family e --quiet
echo E SETS DONE
# training: o (r with tilts 0-50) and d (fit now), other seeds
$C --out data/rollover/traino --hours 3 --seed 51 --family o
$C --out data/rollover/traino_quiet --hours 2 --seed 52 --family o --quiet
$C --out data/rollover/traind --hours 3 --seed 41 --family d
$C --out data/rollover/traind_quiet --hours 2 --seed 42 --family d --quiet
echo TRAIN SETS DONE
# validation of o
$C --out data/rollover/famo_roll --hours 1 --seed 6501 --ranges heldout --family o
$C --out data/rollover/famo_quiet --hours 2 --seed 6502 --ranges heldout --family o --quiet
echo VAL SETS DONE
