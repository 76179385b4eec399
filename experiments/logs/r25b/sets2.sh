while ! grep -q "SETS DONE" /work/plan/logs/r25b/sets.log; do sleep 10; done
C="nice -n 5 .venv/bin/cribwatch rollover make-set"
$C --out data/rollover/test_roll --hours 3 --seed 7001 --ranges heldout
$C --out data/rollover/test_quiet --hours 10 --seed 7002 --ranges heldout --quiet
echo TESTS DONE
