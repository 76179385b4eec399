set -e
cd /work/main
C="nice -n 5 .venv/bin/cribwatch rollover make-set"
$C --out data/rollover/r25p_a_quiet --hours 4 --seed 7502 --ranges heldout --quiet
$C --out data/rollover/r25p_b_quiet --hours 4 --seed 7602 --ranges heldout --family b --quiet
$C --out data/rollover/r25p_c_quiet --hours 4 --seed 7702 --ranges heldout --family c --quiet
echo SETS DONE
