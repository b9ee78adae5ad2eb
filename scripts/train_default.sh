#!/usr/bin/env bash
# Reproduce the shipped default model (assets/model.onnx): NW-UCLA joint + bone streams with the
# default recipe on the whole training split (views 1+2), exported as one ensemble ONNX file and
# evaluated on view 3 through ONNX Runtime. The two streams train side by side, one CPU thread
# each (or on the GPU when there is one).
#   usage: [EPOCHS=50] [CACHE=runs/cache] bash scripts/train_default.sh [DATA_DIR] [OUT_DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
DATA="${1:-${SKELAPP_DATA:-../shared/data}}"
OUT="${2:-runs/default}"
EPOCHS="${EPOCHS:-50}"
CACHE="${CACHE:-runs/cache}"
if [ -f .venv/bin/activate ]; then . .venv/bin/activate; fi
mkdir -p "$OUT"
common=(--dataset nw-ucla --data "$DATA" --epochs "$EPOCHS" --val-fraction 0 --threads 1 --quiet
        --cache-dir "$CACHE")
skelapp train "${common[@]}" --out "$OUT/joint" --stream joint > "$OUT/joint.log" 2>&1 &
joint=$!
skelapp train "${common[@]}" --out "$OUT/bone" --stream bone > "$OUT/bone.log" 2>&1 &
bone=$!
wait "$joint" || { echo "joint stream failed: see $OUT/joint.log" >&2; exit 1; }
wait "$bone" || { echo "bone stream failed: see $OUT/bone.log" >&2; exit 1; }
skelapp export --checkpoint "$OUT/joint/last.pt" "$OUT/bone/last.pt" --out "$OUT/model.onnx" --data "$DATA" \
  --cache-dir "$CACHE"
skelapp evaluate --model "$OUT/model.onnx" --dataset nw-ucla --data "$DATA" --out "$OUT/eval" \
  --cache-dir "$CACHE"
