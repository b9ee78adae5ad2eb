#!/usr/bin/env bash
# dev63 on a lent GPU machine (one H200, 16 cores; see dev63.md): the exact runs, in priority order,
# POOL at a time (one CPU thread each, all on the one GPU), stopped at DEADLINE seconds after the
# start; whatever finished is summarised in $OUT/summary.tsv and its weights (best.pt = the last
# epoch's, as --val-fraction is 0) packed into $OUT/runs.tar.part-*.
#   usage (repo root): DATA=dir-with-nw_ucla-and-msr_action3d CACHE=dir INIT=nw-ucla-init.pt \
#          OUT=dir [DEVICE=cuda] [POOL=14] [DEADLINE=510] [EPOCH_SCALE=1] bash docs/decisions/dev63-gpu.sh
# EPOCH_SCALE divides every epoch count and ONLY (a regex) keeps the runs it matches (a quick check of
# the script on a CPU: EPOCH_SCALE=100 ONLY='s0$').
# Measured in dev63's call: 14 dev runs (50 epochs) sharing the GPU took ~255 s; MSR alone (100
# epochs) ~105 s; the co-trained MSR runs and the 100-epoch streams ~7-8 s per epoch in that crowd,
# too long for one call. To finish rules B and C in a later call (dev63.md), e.g. ONLY='^msr'
# (the four co-trained MSR runs and, short, the four they are compared with), then ONLY='^ep100_'
# (with the base's runs from runs/dev63/gpu, or ONLY='^(base|ep100)_' if those are gone), each its
# own call. The call's set-up (data carried in .devdata/, the repo on PYTHONPATH): dev63.md.
set -u
cd "$(dirname "$0")/../.."
T0=$(date +%s)
DEVICE="${DEVICE:-cuda}" POOL="${POOL:-14}" DEADLINE="${DEADLINE:-510}" SCALE="${EPOCH_SCALE:-1}"
R="${RUNS_DIR:-/tmp/dev63}"
mkdir -p "$R" "$OUT"
PY="${PYTHON:-python3}"
log() { echo "[$(( $(date +%s) - T0 ))s] $*" | tee -a "$OUT/log.txt"; }
ep() { echo $(( $1 / SCALE > 0 ? $1 / SCALE : 1 )); }
base=(--data "$DATA" --cache-dir "$CACHE" --device "$DEVICE" --precision fp32 --threads 1 --quiet)
ucla=(--dataset nw-ucla --protocol xview-dev --cotrain msr-action3d --model '{"readout": "parts"}')

log "start; $($PY -c 'import torch; print("torch", torch.__version__, "cuda", torch.cuda.is_available(),
  torch.cuda.get_device_name(0) if torch.cuda.is_available() else "")' 2>&1)"
log "onnxruntime providers: $($PY -c 'import onnxruntime as o; print(o.__version__, o.get_available_providers())' 2>&1)"

train() {  # train NAME ARGS...: one run into $R/NAME, its output in $R/NAME.log
  local name="$1" t
  shift
  t=$(date +%s)
  $PY -m skelapp.training train "${base[@]}" "$@" --out "$R/$name" > "$R/$name.log" 2>&1
  local rc=$?
  log "$name rc=$rc $(( $(date +%s) - t ))s"
}

# A solo speed check (it also builds the dataset caches before the pool starts): the dev base for
# 3 epochs.
train speed_solo "${ucla[@]}" --stream joint --seed 0 --epochs "$(ep 3)"

JOBS=()
for s in 0 1 2 3 4; do JOBS+=("base_s$s|${ucla[*]@Q} --stream joint --seed $s --epochs $(ep 50)"); done
for f in xsub-dev xsub-dev2; do
  for s in 0 1; do
    JOBS+=("msrcot_${f}_s$s|--dataset msr-action3d --protocol $f --stream joint --seed $s --init $INIT \
--epochs $(ep 100) --cotrain nw-ucla")
  done
done
for f in xsub-dev xsub-dev2; do
  for s in 0 1; do
    JOBS+=("msr_${f}_s$s|--dataset msr-action3d --protocol $f --stream joint --seed $s --init $INIT \
--epochs $(ep 100)")
  done
done
for s in 0 1 2 3 4; do JOBS+=("bone_s$s|${ucla[*]@Q} --stream bone --seed $s --epochs $(ep 50)"); done
# the shipped recipe's seed-1 streams (scripts/train_default.sh: whole training split, 100 epochs)
full=(--dataset nw-ucla --cotrain msr-action3d --model '{"readout": "parts"}' --val-fraction 0 --seed 1)
for st in joint bone; do JOBS+=("ship_${st}_s1|${full[*]@Q} --stream $st --epochs $(ep 100)"); done
# the full-clip baseline of the early-prediction curve: the shipped joint stream's recipe, seed 0,
# with the loss of whole clips only (docs/early_curve.png; not a dev arm)
JOBS+=("fullclip_joint|${full[*]@Q} --seed 0 --stream joint --loss full --epochs $(ep 100)")
# the MSR real split (odd subjects train, even test) with co-training, seeds 0 and 1
for s in 0 1; do
  JOBS+=("msrcot_xsub_s$s|--dataset msr-action3d --protocol xsub --stream joint --seed $s --init $INIT \
--epochs $(ep 100) --cotrain nw-ucla")
done
for s in 0 1 2 3 4; do JOBS+=("ep100_s$s|${ucla[*]@Q} --stream joint --seed $s --epochs $(ep 100)"); done
for s in 0 1 2 3 4; do
  JOBS+=("win96_s$s|--dataset nw-ucla --protocol xview-dev --cotrain msr-action3d \
--model '{\"readout\": \"parts\", \"window\": 96}' --stream joint --seed $s --epochs $(ep 50)")
done

for job in "${JOBS[@]}"; do
  [[ "${job%%|*}" =~ ${ONLY:-.} ]] || continue
  # wait for a free slot, but not past the deadline (a blocking `wait -n` here kept the first GPU
  # call from ever reaching it: see dev63.md)
  while (( $(jobs -rp | wc -l) >= POOL && $(date +%s) - T0 < DEADLINE - 60 )); do sleep 2; done
  if (( $(date +%s) - T0 > DEADLINE - 60 )); then log "not started: ${job%%|*}"; continue; fi
  eval "train ${job%%|*} ${job#*|}" &
done
while (( $(jobs -rp | wc -l) > 0 && $(date +%s) - T0 < DEADLINE )); do sleep 5; done
if (( $(jobs -rp | wc -l) > 0 )); then
  log "deadline: stopping $(jobs -rp | wc -l) unfinished runs"
  pkill -f "skelapp.training train" || true
  sleep 3
fi

$PY - "$R" > "$OUT/summary.tsv" <<'EOF'
import json, sys
from pathlib import Path
print("run\ttop1\tearly40\tunseen_top1\tepochs\ts_per_epoch\ttrain_s")
for d in sorted(p for p in Path(sys.argv[1]).iterdir() if p.is_dir()):
    f, hf = d / "result.json", d / "history.json"
    h = json.loads(hf.read_text()) if hf.exists() else []
    secs = [e["seconds"] for e in h]
    timing = f"{len(h)}\t{sum(secs[1:]) / max(1, len(secs) - 1):.2f}\t{sum(secs):.0f}"
    if not f.exists():
        print(f"{d.name}\tunfinished\t\t\t{timing}"); continue
    if d.name.startswith(("ship_", "msrcot_xsub_s")):  # test splits: read only after dev63's decisions
        print(f"{d.name}\tfinished (test not shown)\t\t\t{timing}"); continue
    t = json.loads(f.read_text())["test"]
    unseen = t.get("unseen", {}).get("top1", "")
    print(f"{d.name}\t{t['top1']:.2f}\t{t['early']['0.4']:.2f}\t{unseen}\t{timing}")
EOF
cat "$OUT/summary.tsv"
(cd "$R" && tar cf - */result.json */best.pt */config.json *.log 2>/dev/null) | split -b 15M - "$OUT/runs.tar.part-"
log "done"
