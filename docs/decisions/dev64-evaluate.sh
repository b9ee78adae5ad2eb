#!/usr/bin/env bash
# dev64's arms through ONNX Runtime on this CPU (docs/decisions/dev64.md): dev63's GPU dev runs
# exported with --mirror (pairs, quads, single streams).
#   usage (repo root): bash docs/decisions/dev64-evaluate.sh [RUNS] [DATA] [CACHE]  -> OUT/mirror.tsv
set -euo pipefail
cd "$(dirname "$0")/../.."
R="${1:-runs/dev63/gpu}" DATA="${2:-../shared/data}" CACHE="${3:-runs/cache}"
OUT="$R/mirror"
if [ -f .venv/bin/activate ]; then . .venv/bin/activate; fi
mkdir -p "$OUT"
mirrored() {  # mirrored NAME RUN...: export the runs' last epochs with --mirror as one model, evaluate
  local name="$1" ckpts=() run
  shift
  for run in "$@"; do ckpts+=("$R/$run/best.pt"); done
  if [ ! -f "$OUT/$name.json" ]; then
    skelapp export --checkpoint "${ckpts[@]}" --mirror --out "$OUT/$name.onnx" --data "$DATA" \
      --cache-dir "$CACHE" > "$OUT/$name.export.log" 2>&1
    skelapp evaluate --model "$OUT/$name.onnx" --dataset nw-ucla --protocol xview-dev \
      --data "$DATA" --cache-dir "$CACHE" --json > "$OUT/$name.json"
  fi
  python3 -c 'import json, sys; r = json.load(open(sys.argv[2]))
print("%s\t%.2f\t%.2f" % (sys.argv[1], r["top1"], r["early"]["0.4"]))' "$name" "$OUT/$name.json" \
    >> "$OUT/mirror.tsv"
}
printf 'arm\ttop1\tearly40\n' > "$OUT/mirror.tsv"
for k in 0 1 2 3; do mirrored "pairm$k" "base_s$k" "bone_s$k"; done
mirrored quadm01 base_s0 bone_s0 base_s1 bone_s1
mirrored quadm23 base_s2 bone_s2 base_s3 bone_s3
for s in 0 1 2 3 4; do mirrored "jointm$s" "base_s$s"; mirrored "bonem$s" "bone_s$s"; done
cat "$OUT/mirror.tsv"
