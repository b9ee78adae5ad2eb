#!/usr/bin/env bash
# dev104's runs (docs/decisions/dev104.md): the shipped fine-tune (100 epochs, dropout 0.1) and 50
# epochs without dropout, seeds 5 and 6, all four at once, one thread each. Resumable: a run whose
# result.json exists is kept, one with a last.pt continues (--resume), others start afresh. Without
# runs/dev89/pre_s0/last.pt (a new machine) it first re-runs dev79's pretraining there (~30 min).
#   usage (repo root): bash docs/decisions/dev104.sh [DATA]
set -uo pipefail
cd "$(dirname "$0")/../.."
DATA="${1:-../shared/data}" R=runs/dev104 PRE=runs/dev89/pre_s0
if [ -f .venv/bin/activate ]; then . .venv/bin/activate; fi
mkdir -p "$R"
COMMON=(--dataset nw-ucla --data "$DATA" --protocol xview-dev --quiet --cache-dir runs/cache --stream joint
        --cotrain msr-action3d --precision bf16)
if [ ! -f "$PRE/result.json" ]; then
  skelapp train "${COMMON[@]}" --model '{"readout": "parts"}' --threads 2 --epochs 100 --seed 0 \
    --objective masked --resume --out "$PRE" >> "$PRE.log" 2>&1 || exit 1
fi
one() {  # one NAME EPOCHS MODEL SEED
  [ -f "$R/$1/result.json" ] && return 0
  skelapp train "${COMMON[@]}" --threads 1 --init "$PRE/last.pt" --resume --epochs "$2" --model "$3" \
    --seed "$4" --out "$R/$1" >> "$R/$1.log" 2>&1
}
echo "runs start $(date)"
for s in 5 6; do
  one "ft100_s$s" 100 '{"readout": "parts"}' "$s" &
  one "nodrop50_s$s" 50 '{"readout": "parts", "dropout": 0.0}' "$s" &
done
wait
echo "done $(date)"
