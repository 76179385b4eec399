set -e
C="nice -n 5 .venv/bin/cribwatch rollover make-set"
$C --out data/rollover/trainr --hours 3 --seed 31 --family r
$C --out data/rollover/trainr_quiet --hours 2 --seed 32 --family r --quiet
$C --out data/rollover/famr_roll --hours 1 --seed 6201 --ranges heldout --family r
$C --out data/rollover/famr_quiet --hours 2 --seed 6202 --ranges heldout --family r --quiet
echo SETS DONE
