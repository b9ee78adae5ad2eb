#!/usr/bin/env bash
# msrdev9's runs (docs/decisions/msrdev9.md): the MSR recipe from an init stream that was itself
# fine-tuned from a masked pretraining. Resumable: a run whose result.json exists is kept, one with a
# last.pt continues (--resume), others start afresh. BASE=1 also trains the recipe's base runs
# (msr_F_sS, from msrdev8's init without pretraining) into OUT, for a machine without runs/msrdev8.
# FOLDS and SEEDS pick the MSR runs (default: the two dev folds, seeds 0 and 1; msrdev10 runs the five
# leave-one-subject-out folds with seed 0).
#   usage (repo root): [BASE=0] [FOLDS="xsub-dev xsub-dev2"] [SEEDS="0 1"] bash docs/decisions/msrdev9.sh [DATA] [OUT]
set -uo pipefail
cd "$(dirname "$0")/../.."
DATA="${1:-../shared/data}" R="${2:-runs/msrdev9}" CACHE=runs/cache
FOLDS="${FOLDS:-xsub-dev xsub-dev2}" SEEDS="${SEEDS:-0 1}"
if [ -f .venv/bin/activate ]; then . .venv/bin/activate; fi
mkdir -p "$R"
init_stream() {  # init_stream OUT PRETRAIN_EPOCHS: scripts/train_msr.sh's NW-UCLA init stream
  RESUME=1 EPOCHS=50 SEEDS=0 STREAMS=joint THREADS=2 PARALLEL=1 CACHE="$CACHE" TRAIN_ONLY=1 COTRAIN="" \
    MODEL='{}' PRETRAIN_EPOCHS="$2" bash scripts/train_default.sh "$DATA" "$1"
}
echo "init start $(date)"
init_stream "$R/init" 100 || exit 1
if [ "${BASE:-0}" = 1 ]; then init_stream "$R/init_base" 0 || exit 1; fi
one() {  # one NAME INIT ARGS...: the MSR recipe's joint stream, 100 epochs, from INIT
  local name="$1" init="$2"; shift 2
  [ -f "$R/$name/result.json" ] && return 0
  skelapp train --dataset msr-action3d --data "$DATA" --stream joint --init "$init" --epochs 100 \
    --threads 1 --quiet --cache-dir "$CACHE" --resume --out "$R/$name" "$@" >> "$R/$name.log" 2>&1
}
export -f one; export R DATA CACHE
echo "runs start $(date)"
{
  for f in $FOLDS; do for s in $SEEDS; do
    echo "msrpre_${f}_s$s $R/init/joint/last.pt --protocol $f --seed $s"
  done; done
  if [ "${BASE:-0}" = 1 ]; then for f in $FOLDS; do for s in $SEEDS; do
    echo "msr_${f}_s$s $R/init_base/joint/last.pt --protocol $f --seed $s"
  done; done; fi
} | xargs -P 2 -I{} bash -c 'one {}'
echo "done $(date)"
