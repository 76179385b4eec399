# the one run of family e: chosen candidate ($1 $2 $3) and the incumbent; a's test sets for the chosen one
cd /work/main
export OMP_NUM_THREADS=1
F=/work/plan/logs/r25e/final.py
uptime > /work/plan/logs/r25e/final_uptime.txt
nice -n 5 .venv/bin/python $F $1 $2 $3 fame_roll,fame_quiet,test_roll,test_quiet > /work/plan/logs/r25e/final_chosen.log 2>&1 &
nice -n 5 .venv/bin/python $F shipped both E0 fame_roll,fame_quiet > /work/plan/logs/r25e/final_incumbent.log 2>&1
wait
uptime >> /work/plan/logs/r25e/final_uptime.txt
echo E RUN DONE >> /work/plan/logs/r25e/final_uptime.txt
