# the one run of family f: $1 variant (hard|all), $2 threshold (e.g. 0.4e for entry mode), $3 events
cd /work/main
export OMP_NUM_THREADS=1
L=/work/plan/logs/s4/r25f
F=$L/final7.py
uptime > $L/final_uptime.txt; date -u >> $L/final_uptime.txt
nice -n 5 .venv/bin/python $L/fit_final.py $1 > $L/fit_final.log 2>&1
nice -n 5 .venv/bin/python $F abrdo29 learned $3 $2 famf_roll,famf_quiet,test_roll,test_quiet > $L/final_chosen.log 2>&1
uptime >> $L/final_uptime.txt
nice -n 5 .venv/bin/python $F shipped both E0 0 famf_roll,famf_quiet > $L/final_incumbent.log 2>&1
nice -n 5 .venv/bin/python $F abrdo29 learned E1G3dp3 0 famf_roll,famf_quiet > $L/final_sixth.log 2>&1
uptime >> $L/final_uptime.txt; date -u >> $L/final_uptime.txt
echo F RUN DONE >> $L/final_uptime.txt
