#!/usr/bin/env bash
# Fine-tunes from dev105's fp32 masked pretraining (runs/dev105/pre_fp32, trained here with dev105's
# command if it is missing): the shipped dev fine-tune (50 epochs, fp32) with MODEL, seeds 7-9, all
# three at once, one thread each, into runs/RULE/PREFIX_s{7,8,9}; dev105's fp32 arm is the base.
# Resumable: a run whose result.json exists is kept, one with a last.pt continues (--resume).
#   usage (repo root): bash docs/decisions/finetune_dev105.sh RULE PREFIX MODEL_JSON [DATA [TRAIN_ARGS...]]
# (TRAIN_ARGS: more `skelapp train` options for the fine-tunes, e.g. --lr 0.002. COTRAIN: the fine-tunes'
# co-training datasets, default msr-action3d; set but empty: none. The pretraining always co-trains.)
# (dev106.sh, dev107.sh and dev108.sh call it; their runs were made by the same commands, written out.)
set -uo pipefail
cd "$(dirname "$0")/../.."
RULE="$1" PREFIX="$2" MODEL="$3" DATA="${4:-../shared/data}" COTRAIN="${COTRAIN-msr-action3d}"
EXTRA=("${@:5}")
R=runs/$RULE PRE=runs/dev105/pre_fp32
if [ -f .venv/bin/activate ]; then . .venv/bin/activate; fi
mkdir -p "$R" runs/dev105
COMMON=(--dataset nw-ucla --data "$DATA" --protocol xview-dev --quiet --cache-dir runs/cache --stream joint
        --precision fp32)
TUNE=()
if [ -n "$COTRAIN" ]; then TUNE+=(--cotrain $COTRAIN); fi  # unquoted: a list of names
echo "pretraining start $(date)"
if [ ! -f "$PRE/result.json" ]; then
  skelapp train "${COMMON[@]}" --cotrain msr-action3d --model '{"readout": "parts"}' --threads 2 --epochs 100 \
    --seed 0 --objective masked --resume --out "$PRE" >> "$PRE.log" 2>&1 || exit 1
fi
one() {  # one SEED
  [ -f "$R/${PREFIX}_s$1/result.json" ] && return 0
  skelapp train "${COMMON[@]}" ${TUNE[@]+"${TUNE[@]}"} --threads 1 --init "$PRE/last.pt" --resume --epochs 50 \
    --model "$MODEL" ${EXTRA[@]+"${EXTRA[@]}"} --seed "$1" --out "$R/${PREFIX}_s$1" >> "$R/${PREFIX}_s$1.log" 2>&1
}
echo "fine-tunes start $(date)"
for s in 7 8 9; do
  one "$s" &
done
wait
echo "done $(date)"
