#!/usr/bin/env bash
# msrdev9's rule (docs/decisions/msrdev9.md): per dev fold, the ensemble of seeds 0 and 1 through
# ONNX Runtime (last epoch), the base (BASE/msr_F_sS, default msrdev8's runs) and the runs from the
# pretrained init (RUNS/msrpre_F_sS); the two folds' means and the verdict.
#   usage (repo root): bash docs/decisions/msrdev9-evaluate.sh [RUNS] [BASE] [DATA] -> RUNS/ensembles.tsv
set -euo pipefail
cd "$(dirname "$0")/../.."
R="${1:-runs/msrdev9}" B="${2:-runs/msrdev8}" DATA="${3:-../shared/data}" CACHE=runs/cache
if [ -f .venv/bin/activate ]; then . .venv/bin/activate; fi
for f in xsub-dev xsub-dev2; do for s in 0 1; do
  for run in "$B/msr_${f}_s$s" "$R/msrpre_${f}_s$s"; do
    [ -f "$run/result.json" ] || { echo "unfinished: $run (nothing is read)"; exit 1; }
  done
done; done
mkdir -p "$R/ensembles" "$B/ensembles"
. docs/decisions/ensemble-eval.sh
printf 'ensemble\ttop1\tearly40\n' > "$R/ensembles.tsv"
for f in xsub-dev xsub-dev2; do
  export_and_evaluate "$B/ensembles" "$R/ensembles.tsv" "msr_$f" msr-action3d "$f" "" \
    "$B/msr_${f}_s0/last.pt" "$B/msr_${f}_s1/last.pt"
  export_and_evaluate "$R/ensembles" "$R/ensembles.tsv" "msrpre_$f" msr-action3d "$f" "" \
    "$R/msrpre_${f}_s0/last.pt" "$R/msrpre_${f}_s1/last.pt"
done
cat "$R/ensembles.tsv"
python3 docs/decisions/msr-fold-verdict.py "$R/ensembles.tsv" msr msrpre
