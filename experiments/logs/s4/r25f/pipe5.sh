cd /work/main
export OMP_NUM_THREADS=1
uptime; date -u
nice -n 5 .venv/bin/python /work/plan/logs/s4/r25f/face_frac.py vala_quiet,famb_quiet,famr_quiet,famc_quiet,famd_quiet,famo_quiet,fame_quiet > /work/plan/logs/s4/r25f/face_frac_fit.json
date -u
nice -n 5 .venv/bin/python /work/plan/logs/s4/r25f/face_frac.py famf_quiet > /work/plan/logs/s4/r25f/face_frac_f.json
uptime; date -u
echo PIPE5 DONE
