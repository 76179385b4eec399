cd /work/main
export OMP_NUM_THREADS=1
while kill -0 18209 2>/dev/null; do sleep 5; done
date -u
nice -n 5 .venv/bin/python /work/plan/logs/s4/r25f/cache.py trainc trainc_quiet traine traine_quiet > /work/plan/logs/s4/r25f/cache2.log 2>&1
date -u
nice -n 5 .venv/bin/python /work/plan/logs/s4/r25f/prep.py a b r o d c e > /work/plan/logs/s4/r25f/prep.log 2>&1
date -u
nice -n 5 .venv/bin/python /work/plan/logs/s4/r25f/val.py hard,all 0,0.3,0.4,0.5,0.6,0.7,0.8 E1G3dp3,E1 > /work/plan/logs/s4/r25f/val.log 2>&1
date -u
echo PIPE DONE
