#!/usr/bin/env bash
# msrdev11's runs (docs/decisions/msrdev11.md): the MSR recipe's joint stream on the five
# leave-one-subject-out folds, base seed 1 and the body-part readout seeds 0 and 1, from msrdev10's
# init stream (runs/msrdev10/init_base). Resumable: a run whose result.json exists is kept, one with a
# last.pt continues (--resume), others start afresh. Two at a time, one thread each.
#   usage (repo root): bash docs/decisions/msrdev11.sh [DATA] [OUT]
set -uo pipefail
cd "$(dirname "$0")/../.."
DATA="${1:-../shared/data}" R="${2:-runs/msrdev11}" CACHE=runs/cache
INIT=runs/msrdev10/init_base/joint/last.pt
if [ -f .venv/bin/activate ]; then . .venv/bin/activate; fi
[ -f "$INIT" ] || { echo "missing $INIT (msrdev10's init stream: docs/decisions/msrdev10.md)"; exit 1; }
mkdir -p "$R"
one() {  # one NAME K SEED: the MSR recipe's joint stream on fold xsub-loso<K>, 100 epochs, from INIT;
  # a NAME starting with parts_ reads the body-part readout
  local name="$1" model=()
  [ -f "$R/$name/result.json" ] && return 0
  case "$name" in parts_*) model=(--model '{"readout": "parts"}');; esac
  skelapp train --dataset msr-action3d --data "$DATA" --stream joint --init "$INIT" --epochs 100 \
    --threads 1 --quiet --cache-dir "$CACHE" --resume --protocol "xsub-loso$2" --seed "$3" "${model[@]}" \
    --out "$R/$name" >> "$R/$name.log" 2>&1
}
export -f one; export R DATA CACHE INIT
echo "runs start $(date)"
{
  for k in 1 3 5 7 9; do
    echo "msr_xsub-loso${k}_s1 $k 1"
    for s in 0 1; do echo "parts_xsub-loso${k}_s$s $k $s"; done
  done
} | xargs -P 2 -I{} bash -c 'one {}'
echo "done $(date)"
