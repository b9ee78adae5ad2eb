#!/usr/bin/env bash
# msrdev7 (docs/decisions/msrdev7.md): dev63's MSR dev runs, per fold the ensemble of seeds 0 and 1
# exported with --mirror and evaluated through ONNX Runtime on this CPU.
#   usage (repo root): bash docs/decisions/msrdev7-evaluate.sh [RUNS] [DATA] [CACHE]  -> RUNS/mirror/msr.tsv
set -euo pipefail
cd "$(dirname "$0")/../.."
R="${1:-runs/dev63/gpu}" DATA="${2:-../shared/data}" CACHE="${3:-runs/cache}"
OUT="$R/mirror"
if [ -f .venv/bin/activate ]; then . .venv/bin/activate; fi
mkdir -p "$OUT"
printf 'arm\ttop1\tearly40\n' > "$OUT/msr.tsv"
for f in xsub-dev xsub-dev2; do
  name="msrm_$f"
  if [ ! -f "$OUT/$name.json" ]; then
    skelapp export --checkpoint "$R/msr_${f}_s0/best.pt" "$R/msr_${f}_s1/best.pt" --mirror \
      --out "$OUT/$name.onnx" --data "$DATA" --cache-dir "$CACHE" > "$OUT/$name.export.log" 2>&1
    skelapp evaluate --model "$OUT/$name.onnx" --dataset msr-action3d --protocol "$f" --data "$DATA" \
      --cache-dir "$CACHE" --json > "$OUT/$name.json"
  fi
  python3 -c 'import json, sys; r = json.load(open(sys.argv[2]))
print("%s\t%.2f\t%.2f" % (sys.argv[1], r["top1"], r["early"]["0.4"]))' "$name" "$OUT/$name.json" >> "$OUT/msr.tsv"
done
cat "$OUT/msr.tsv"
