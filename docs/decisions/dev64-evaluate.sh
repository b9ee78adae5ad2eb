#!/usr/bin/env bash
# dev64's arms through ONNX Runtime on this CPU (docs/decisions/dev64.md): dev63's GPU dev runs
# exported with --mirror (pairs, quads, single streams); then msrdev7's (docs/decisions/msrdev7.md):
# per MSR dev fold, the recipe's two joint streams (seeds 0 and 1) exported with --mirror.
#   usage (repo root): bash docs/decisions/dev64-evaluate.sh [RUNS] [DATA] [CACHE]  -> OUT/mirror.tsv
set -euo pipefail
cd "$(dirname "$0")/../.."
R="${1:-runs/dev63/gpu}" DATA="${2:-../shared/data}" CACHE="${3:-runs/cache}"
OUT="$R/mirror"
if [ -f .venv/bin/activate ]; then . .venv/bin/activate; fi
mkdir -p "$OUT"
. docs/decisions/ensemble-eval.sh
mirrored() {  # mirrored NAME DATASET PROTOCOL RUN...: the runs' last epochs as one model with --mirror
  local name="$1" dataset="$2" protocol="$3" ckpts=() run
  shift 3
  for run in "$@"; do ckpts+=("$R/$run/best.pt"); done
  export_and_evaluate "$OUT" "$OUT/mirror.tsv" "$name" "$dataset" "$protocol" --mirror "${ckpts[@]}"
}
printf 'arm\ttop1\tearly40\n' > "$OUT/mirror.tsv"
ucla=(nw-ucla xview-dev)
for k in 0 1 2 3; do mirrored "pairm$k" "${ucla[@]}" "base_s$k" "bone_s$k"; done
mirrored quadm01 "${ucla[@]}" base_s0 bone_s0 base_s1 bone_s1
mirrored quadm23 "${ucla[@]}" base_s2 bone_s2 base_s3 bone_s3
for s in 0 1 2 3 4; do mirrored "jointm$s" "${ucla[@]}" "base_s$s"; mirrored "bonem$s" "${ucla[@]}" "bone_s$s"; done
for f in xsub-dev xsub-dev2; do mirrored "msrm_$f" msr-action3d "$f" "msr_${f}_s0" "msr_${f}_s1"; done  # msrdev7
cat "$OUT/mirror.tsv"
