#!/usr/bin/env bash
# Reproduce the shipped default model (assets/model.onnx): NW-UCLA joint + bone streams, seed 0,
# 100 epochs, the default recipe on the whole training split (views 1+2; bf16 mixed precision where
# the CPU/GPU has native bf16, else fp32), exported as one ensemble ONNX file and evaluated on view 3
# through ONNX Runtime. The two streams of a seed train side by side, one CPU thread each (or on the
# GPU when there is one): ~55 min on a 2-core AVX-512 BF16 CPU. Further seeds in SEEDS add a pair
# each and run one after another (EPOCHS=50 SEEDS="0 1" is an earlier four-stream default).
#   usage: [EPOCHS=100] [SEEDS=0] [CACHE=runs/cache] bash scripts/train_default.sh [DATA_DIR] [OUT_DIR]
# Seed 0 writes OUT/joint and OUT/bone, seed s > 0 writes OUT/joint_s<s> and OUT/bone_s<s>.
set -euo pipefail
cd "$(dirname "$0")/.."
DATA="${1:-${SKELAPP_DATA:-../shared/data}}"
OUT="${2:-runs/default}"
EPOCHS="${EPOCHS:-100}"
SEEDS="${SEEDS:-0}"
CACHE="${CACHE:-runs/cache}"
if [ -f .venv/bin/activate ]; then . .venv/bin/activate; fi
mkdir -p "$OUT"
common=(--dataset nw-ucla --data "$DATA" --epochs "$EPOCHS" --val-fraction 0 --threads 1 --quiet
        --cache-dir "$CACHE")
checkpoints=()
for seed in $SEEDS; do
  suffix=""
  if [ "$seed" != 0 ]; then suffix="_s$seed"; fi
  pids=() runs=()
  for stream in joint bone; do
    run="$OUT/$stream$suffix"
    skelapp train "${common[@]}" --seed "$seed" --out "$run" --stream "$stream" > "$run.log" 2>&1 &
    pids+=("$!") runs+=("$run")
    checkpoints+=("$run/last.pt")
  done
  for i in "${!pids[@]}"; do
    wait "${pids[$i]}" || { echo "training ${runs[$i]} failed: see ${runs[$i]}.log" >&2; exit 1; }
  done
done
skelapp export --checkpoint "${checkpoints[@]}" --out "$OUT/model.onnx" --data "$DATA" --cache-dir "$CACHE"
skelapp evaluate --model "$OUT/model.onnx" --dataset nw-ucla --data "$DATA" --out "$OUT/eval" \
  --cache-dir "$CACHE"
