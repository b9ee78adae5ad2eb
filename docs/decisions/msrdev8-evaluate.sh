#!/usr/bin/env bash
# msrdev8's rule (docs/decisions/msrdev8.md) on the runs of msrdev8.sh: per dev fold, the ensemble of
# seeds 0 and 1 through ONNX Runtime (last epoch), the recipe (msr_) and co-trained (msrcot_); the two
# folds' means and the verdict; only then the real 20-class split's co-trained pair.
#   usage (repo root): bash docs/decisions/msrdev8-evaluate.sh [RUNS] [DATA]  -> RUNS/ensembles.tsv
set -euo pipefail
cd "$(dirname "$0")/../.."
R="${1:-runs/msrdev8}" DATA="${2:-../shared/data}" CACHE=runs/cache
if [ -f .venv/bin/activate ]; then . .venv/bin/activate; fi
for f in xsub-dev xsub-dev2; do for arm in msr msrcot; do for s in 0 1; do
  [ -f "$R/${arm}_${f}_s$s/result.json" ] || { echo "unfinished: ${arm}_${f}_s$s (nothing is read)"; exit 1; }
done; done; done
mkdir -p "$R/ensembles"
. docs/decisions/ensemble-eval.sh
printf 'ensemble\ttop1\tearly40\n' > "$R/ensembles.tsv"
for f in xsub-dev xsub-dev2; do for arm in msr msrcot; do
  export_and_evaluate "$R/ensembles" "$R/ensembles.tsv" "${arm}_$f" msr-action3d "$f" "" \
    "$R/${arm}_${f}_s0/last.pt" "$R/${arm}_${f}_s1/last.pt"
done; done
cat "$R/ensembles.tsv"
python3 docs/decisions/msr-fold-verdict.py "$R/ensembles.tsv" msr msrcot
for s in 0 1; do [ -f "$R/msrcot_xsub_s$s/result.json" ] || { echo "real split: msrcot_xsub_s$s unfinished"; exit 0; }; done
export_and_evaluate "$R/ensembles" "$R/real.tsv" msrcot_xsub msr-action3d xsub "" \
  "$R/msrcot_xsub_s0/last.pt" "$R/msrcot_xsub_s1/last.pt"
echo "real split (20 classes, even subjects), co-trained pair: $(tail -1 "$R/real.tsv")"
