cd /work/main
export OMP_NUM_THREADS=1
while ! grep -q "PIPE DONE" /work/plan/logs/s4/r25f/pipe.log; do sleep 5; done
date -u
nice -n 5 .venv/bin/python /work/plan/logs/s4/r25f/val.py hard+entry 0.2,0.3,0.4,0.5 E1G3dp3,E1 > /work/plan/logs/s4/r25f/val2.log 2>&1
date -u
echo PIPE2 DONE
