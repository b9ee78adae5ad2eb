#!/usr/bin/env bash
# Reproduce the shipped default model (assets/model.onnx): NW-UCLA joint + bone streams for seeds 0
# and 1 (four streams, docs/decisions/dev63.md), the default recipe on the whole training split
# (views 1+2; `--precision auto`: bf16 mixed precision where it is faster, else fp32), co-trained with MSR
# Action3D's training split and with the body-part readout (docs/decisions/dev62.md), exported as one
# ensemble ONNX file and evaluated on view 3 through ONNX Runtime. EPOCHS (default 50) fine-tune
# epochs per stream with DROPOUT (default 0.0; the pretraining keeps MODEL's, 0.1 unless MODEL sets
# it): docs/decisions/dev104.md found them as accurate as the earlier EPOCHS=100 DROPOUT=0.1 in half
# the fine-tune time. Runs train PARALLEL at a time (default 2), one CPU thread each (or on the GPU
# when there is one). STREAMS picks the streams of each seed (joint, bone, joint_bone); each seed in
# SEEDS adds one run per stream (SEEDS=0: the pair shipped before dev63, in half the training time).
# TRAIN_ONLY=1 stops after training (no export, no evaluation: OUT's model.onnx and eval/ are left as
# they are). COTRAIN: datasets whose standard training split joins the training clips under their
# own classes (read from DATA_DIR/msr_action3d for msr-action3d: its odd subjects); default
# msr-action3d, COTRAIN= (empty) trains on NW-UCLA alone. MODEL: JSON ModelConfig overrides of both the
# pretraining and the fine-tunes (the latter with DROPOUT in place of MODEL's dropout), default
# '{"readout": "parts"}'; MODEL='{}' is the earlier mean-over-joints readout. RESUME=1 continues
# interrupted runs from their last.pt (with the same settings) instead of starting them afresh.
# THREADS: CPU threads per run (default 1, for PARALLEL=2 on two cores). The under-1-h profile (README):
# SEEDS=0 PRETRAIN_EPOCHS=40 EPOCHS=40, the joint + bone pair, ~53 min on the 2-core EPYC
# (docs/decisions/profile-pair40.md, profile-pair40-d0.md); faster: STREAMS=joint SEEDS=0 PARALLEL=1
# THREADS=2 PRETRAIN_EPOCHS=50 EPOCHS=50 (one stream on two cores, ~43 min on the EPYC, ~52 min on the
# 2-core Intel Xeon; profile-one-d0.md, profile-one-fp32.md).
# PRETRAIN_EPOCHS (default 100, adopted by docs/decisions/dev79.md) first pretrains one network per
# stream kind without labels for that many epochs (`--objective masked`, seed 0, OUT/pretrain_<stream>),
# and every run of that kind starts from it (`--init`); 0 = from random weights, as every bundled
# model up to the one trained before dev79 was. MASK_RATIO: the fraction of joint pieces the pretraining
# hides (`--mask-ratio`; unset: the CLI's default, 0.5, kept by dev80 and dev81).
#   usage: [EPOCHS=50] [DROPOUT=0.0] [SEEDS="0 1"] [STREAMS="joint bone"] [PARALLEL=2] [CACHE=runs/cache] [TRAIN_ONLY=0]
#          [COTRAIN=msr-action3d] [MODEL='{"readout": "parts"}'] [RESUME=0] [PRETRAIN_EPOCHS=100]
#          [MASK_RATIO] [THREADS=1]
#          bash scripts/train_default.sh [DATA_DIR] [OUT_DIR]
# Seed 0 writes OUT/<stream>, seed s > 0 writes OUT/<stream>_s<s>; the ensemble lists them in that order.
set -euo pipefail
cd "$(dirname "$0")/.."
DATA="${1:-${SKELAPP_DATA:-../shared/data}}"
OUT="${2:-runs/default}"
EPOCHS="${EPOCHS:-50}"
DROPOUT="${DROPOUT:-0.0}"
SEEDS="${SEEDS:-0 1}"
STREAMS="${STREAMS:-joint bone}"
PARALLEL="${PARALLEL:-2}"
CACHE="${CACHE:-runs/cache}"
COTRAIN="${COTRAIN-msr-action3d}"  # set but empty: no co-training
PARTS_READOUT='{"readout": "parts"}'
MODEL="${MODEL-$PARTS_READOUT}"
PRETRAIN_EPOCHS="${PRETRAIN_EPOCHS:-100}"
THREADS="${THREADS:-1}"
if [ -f .venv/bin/activate ]; then . .venv/bin/activate; fi
mkdir -p "$OUT"
common=(--dataset nw-ucla --data "$DATA" --val-fraction 0 --threads "$THREADS" --quiet --cache-dir "$CACHE")
# the fine-tunes' model: MODEL with DROPOUT
FINETUNE_MODEL="$(python -c 'import json, sys; print(json.dumps({**json.loads(sys.argv[1]), "dropout": float(sys.argv[2])}))' \
  "$MODEL" "$DROPOUT" 2>/dev/null)" \
  || { echo "MODEL must be a JSON object and DROPOUT a number: $MODEL, $DROPOUT" >&2; exit 2; }
if [ -n "$COTRAIN" ]; then common+=(--cotrain $COTRAIN); fi  # unquoted: a list of names
if [ "${RESUME:-0}" = 1 ]; then common+=(--resume); fi
. scripts/runs.sh
pretrain_one() {
  skelapp train "${common[@]}" --model "$MODEL" --epochs "$PRETRAIN_EPOCHS" --seed "$3" --out "$1" --stream "$2" \
    --objective masked ${MASK_RATIO:+--mask-ratio "$MASK_RATIO"}
}
train_one() {
  local init=()
  if [ "$PRETRAIN_EPOCHS" -gt 0 ]; then init=(--init "$OUT/pretrain_$2/last.pt"); fi
  skelapp train "${common[@]}" --model "$FINETUNE_MODEL" --epochs "$EPOCHS" --seed "$3" --out "$1" --stream "$2" \
    "${init[@]}"
}
if [ "$PRETRAIN_EPOCHS" -gt 0 ]; then
  SEEDS=0 plan_runs "$OUT" pretrain_  # one per stream kind: OUT/pretrain_<stream>, seed 0
  train_runs "$PARALLEL" pretrain_one
fi
plan_runs "$OUT"
train_runs "$PARALLEL" train_one  # PARALLEL runs at a time (one CPU thread each), in RUNS' order
if [ "${TRAIN_ONLY:-0}" = 1 ]; then exit 0; fi
checkpoints=()
for job in "${RUNS[@]}"; do checkpoints+=("${job%%:*}/last.pt"); done
skelapp export --checkpoint "${checkpoints[@]}" --out "$OUT/model.onnx" --data "$DATA" --cache-dir "$CACHE"
skelapp evaluate --model "$OUT/model.onnx" --dataset nw-ucla --data "$DATA" --out "$OUT/eval" \
  --cache-dir "$CACHE"
