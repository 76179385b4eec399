cd /work/main
export OMP_NUM_THREADS=1
date -u
V=""
for w in 1 2; do for q in 0.5 0.7; do V="$V,hard+win$w:$q"; done; done
nice -n 5 .venv/bin/python /work/plan/logs/s4/r25f/val.py ${V#,} 0.3,0.4,0.5 E1G3dp3 > /work/plan/logs/s4/r25f/val3.log 2>&1
date -u
echo PIPE4 DONE
