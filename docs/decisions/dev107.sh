#!/usr/bin/env bash
# dev107's runs (docs/decisions/dev107.md): the shipped fine-tune (50 epochs, dropout 0, fp32) with
# the "mean_recent" window pool, from dev105's fp32 masked pretraining (runs/dev105/pre_fp32, trained
# here with dev105's command if it is missing), seeds 7-9, all three at once, one thread each.
# Resumable: a run whose result.json exists is kept, one with a last.pt continues (--resume).
#   usage (repo root): bash docs/decisions/dev107.sh [DATA]
set -uo pipefail
cd "$(dirname "$0")/../.."
DATA="${1:-../shared/data}" R=runs/dev107
PRE=runs/dev105/pre_fp32
if [ -f .venv/bin/activate ]; then . .venv/bin/activate; fi
mkdir -p "$R" runs/dev105
COMMON=(--dataset nw-ucla --data "$DATA" --protocol xview-dev --quiet --cache-dir runs/cache --stream joint
        --cotrain msr-action3d --precision fp32)
echo "pretraining start $(date)"
if [ ! -f "$PRE/result.json" ]; then
  skelapp train "${COMMON[@]}" --model '{"readout": "parts"}' --threads 2 --epochs 100 \
    --seed 0 --objective masked --resume --out "$PRE" >> "$PRE.log" 2>&1 || exit 1
fi
one() {  # one SEED
  [ -f "$R/recent_s$1/result.json" ] && return 0
  skelapp train "${COMMON[@]}" --threads 1 --init "$PRE/last.pt" --resume --epochs 50 \
    --model '{"readout": "parts", "window_pool": "mean_recent", "dropout": 0.0}' --seed "$1" --out "$R/recent_s$1" \
    >> "$R/recent_s$1.log" 2>&1
}
echo "fine-tunes start $(date)"
for s in 7 8 9; do
  one "$s" &
done
wait
echo "done $(date)"
