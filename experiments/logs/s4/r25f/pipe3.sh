cd /work/main
export OMP_NUM_THREADS=1
while ! grep -q "F RUN DONE" /work/plan/logs/s4/r25f/final_uptime.txt; do sleep 5; done
uptime > /work/plan/logs/s4/r25f/measure_c.uptime; date -u >> /work/plan/logs/s4/r25f/measure_c.uptime
nice -n 5 .venv/bin/python /work/plan/logs/s4/r25f/measure_c.py > /work/plan/logs/s4/r25f/measure_c.log 2>&1
uptime >> /work/plan/logs/s4/r25f/measure_c.uptime; date -u >> /work/plan/logs/s4/r25f/measure_c.uptime
echo C DONE >> /work/plan/logs/s4/r25f/measure_c.uptime
