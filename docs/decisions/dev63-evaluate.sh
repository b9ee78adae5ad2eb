#!/usr/bin/env bash
# dev63's ensembles through ONNX Runtime (rules A and B of dev63.md), on this CPU, from the runs that
# dev63-gpu.sh trained (unpacked into RUNS: `cat runs.tar.part-* | tar xf - -C RUNS`).
#   usage (repo root): bash docs/decisions/dev63-evaluate.sh RUNS [DATA] [CACHE]  -> RUNS/ensembles.tsv
set -euo pipefail
cd "$(dirname "$0")/../.."
R="$1" DATA="${2:-../shared/data}" CACHE="${3:-runs/cache}"
if [ -f .venv/bin/activate ]; then . .venv/bin/activate; fi
mkdir -p "$R/ensembles"
. docs/decisions/ensemble-eval.sh
ensemble() {  # ensemble NAME DATASET PROTOCOL RUN...: export the runs' last epochs as one model, evaluate
  local name="$1" dataset="$2" protocol="$3" ckpts=() run
  shift 3
  for run in "$@"; do
    if [ ! -f "$R/$run/result.json" ]; then  # an unfinished run decides nothing (best.pt = its last epoch)
      printf '%s\tunfinished (%s)\n' "$name" "$run" >> "$R/ensembles.tsv"
      return 0
    fi
    ckpts+=("$R/$run/best.pt")
  done
  export_and_evaluate "$R/ensembles" "$R/ensembles.tsv" "$name" "$dataset" "$protocol" "" "${ckpts[@]}"
}
printf 'ensemble\ttop1\tearly40\n' > "$R/ensembles.tsv"
# rule A: pairs joint k + bone k, quads (joint 0, 1 + bone 0, 1) and (joint 2, 3 + bone 2, 3)
for k in 0 1 2 3; do ensemble "pair$k" nw-ucla xview-dev "base_s$k" "bone_s$k"; done
ensemble quad01 nw-ucla xview-dev base_s0 bone_s0 base_s1 bone_s1
ensemble quad23 nw-ucla xview-dev base_s2 bone_s2 base_s3 bone_s3
# rule B: per MSR fold, the ensemble of seeds 0 and 1, today's recipe and co-trained with NW-UCLA
for f in xsub-dev xsub-dev2; do
  ensemble "msr_$f" msr-action3d "$f" "msr_${f}_s0" "msr_${f}_s1"
  ensemble "msrcot_$f" msr-action3d "$f" "msrcot_${f}_s0" "msrcot_${f}_s1"
done
cat "$R/ensembles.tsv"
