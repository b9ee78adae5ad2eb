#!/usr/bin/env bash
# dev105's runs (docs/decisions/dev105.md): one fp32 masked pretraining (dev79's, 100 epochs, two
# threads), then the shipped fine-tune (50 epochs, dropout 0) from it in fp32 and in bf16, seeds 7-9,
# all six at once, one thread each. Resumable: a run whose result.json exists is kept, one with a
# last.pt continues (--resume), others start afresh.
#   usage (repo root): bash docs/decisions/dev105.sh [DATA]
set -uo pipefail
cd "$(dirname "$0")/../.."
DATA="${1:-../shared/data}" R=runs/dev105
PRE=$R/pre_fp32
if [ -f .venv/bin/activate ]; then . .venv/bin/activate; fi
mkdir -p "$R"
COMMON=(--dataset nw-ucla --data "$DATA" --protocol xview-dev --quiet --cache-dir runs/cache --stream joint
        --cotrain msr-action3d)
echo "pretraining start $(date)"
if [ ! -f "$PRE/result.json" ]; then
  skelapp train "${COMMON[@]}" --precision fp32 --model '{"readout": "parts"}' --threads 2 --epochs 100 \
    --seed 0 --objective masked --resume --out "$PRE" >> "$PRE.log" 2>&1 || exit 1
fi
one() {  # one PRECISION SEED
  [ -f "$R/$1_s$2/result.json" ] && return 0
  skelapp train "${COMMON[@]}" --precision "$1" --threads 1 --init "$PRE/last.pt" --resume --epochs 50 \
    --model '{"readout": "parts", "dropout": 0.0}' --seed "$2" --out "$R/$1_s$2" >> "$R/$1_s$2.log" 2>&1
}
echo "fine-tunes start $(date)"
for s in 7 8 9; do
  one fp32 "$s" &
  one bf16 "$s" &
done
wait
echo "done $(date)"
