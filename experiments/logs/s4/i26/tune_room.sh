set -x
C=.venv/bin/cribwatch
$C color make-pairs --images data/scenes --stamps data/stamps --out data/cam/tune-room --n 80 --seed 505 --split train --ref-warp camera --min-structure 0.05 --max-changed 0.3 --align-frames 8
$C color align-eval --data data/cam/tune-room --frame night
$C color align-eval --data data/cam/tune-room --frame auto
