#!/usr/bin/env bash
# msrdev8's runs (docs/decisions/msrdev8.md): dev63's rule B on this CPU in bf16. Resumable: a run
# whose result.json exists is kept, one with a last.pt continues (--resume), others start afresh;
# rerun the script after an interruption. Two runs at a time, one thread each.
#   usage (repo root): bash docs/decisions/msrdev8.sh [DATA] [OUT]
set -uo pipefail
cd "$(dirname "$0")/../.."
DATA="${1:-../shared/data}" R="${2:-runs/msrdev8}" CACHE=runs/cache
if [ -f .venv/bin/activate ]; then . .venv/bin/activate; fi
mkdir -p "$R"
# the MSR recipe's init: scripts/train_msr.sh's NW-UCLA joint stream (alone, mean readout, 50 epochs)
echo "init start $(date)"
RESUME=1 EPOCHS=50 SEEDS=0 STREAMS=joint CACHE="$CACHE" TRAIN_ONLY=1 COTRAIN="" MODEL='{}' \
  bash scripts/train_default.sh "$DATA" "$R/init" || exit 1
INIT="$R/init/joint/last.pt"
one() {  # one NAME ARGS...: the MSR recipe's joint stream, 100 epochs, from INIT
  local name="$1"; shift
  [ -f "$R/$name/result.json" ] && return 0
  skelapp train --dataset msr-action3d --data "$DATA" --stream joint --init "$INIT" --epochs 100 \
    --threads 1 --quiet --cache-dir "$CACHE" --resume --out "$R/$name" "$@" >> "$R/$name.log" 2>&1
}
export -f one; export R DATA CACHE INIT
echo "runs start $(date)"
printf '%s\n' \
  "msrcot_xsub-dev_s0 --protocol xsub-dev --seed 0 --cotrain nw-ucla" \
  "msrcot_xsub-dev_s1 --protocol xsub-dev --seed 1 --cotrain nw-ucla" \
  "msr_xsub-dev_s0 --protocol xsub-dev --seed 0" "msr_xsub-dev_s1 --protocol xsub-dev --seed 1" \
  "msr_xsub-dev2_s0 --protocol xsub-dev2 --seed 0" "msr_xsub-dev2_s1 --protocol xsub-dev2 --seed 1" \
  "msrcot_xsub-dev2_s0 --protocol xsub-dev2 --seed 0 --cotrain nw-ucla" \
  "msrcot_xsub-dev2_s1 --protocol xsub-dev2 --seed 1 --cotrain nw-ucla" \
  "msrcot_xsub_s0 --protocol xsub --seed 0 --cotrain nw-ucla" \
  "msrcot_xsub_s1 --protocol xsub --seed 1 --cotrain nw-ucla" \
  | xargs -P 2 -I{} bash -c 'one {}'
echo "done $(date)"
