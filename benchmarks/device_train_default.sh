#!/usr/bin/env bash
# A training script's one command (SCRIPT, default scripts/train_default.sh: the default model, all
# four streams at once; or scripts/train_msr.sh, e.g. with PROTOCOLS=xsub) timed on a lent GPU
# machine through the device tool: the machine has the image's own python3 with torch and
# onnxruntime but no skelapp install and no network, so this puts the checkout on PYTHONPATH,
# gives it a `skelapp` command, unpacks the data carried in .devdata/ (.gitignore: devdata.tar.xz of
# shared/data's nw_ucla and msr_action3d folders, and the text-embedding caches text_*.npy) and
# starts the training in its own process session, so that it survives a call that ends first.
# It then waits until the training is done or WAIT seconds have passed, copying the progress (and at
# the end the model, the evaluation and the logs) to $OUT. A second call with the same command on the
# still-warm machine finds the training running (or done) and only waits and collects; to train
# again on that machine (another SCRIPT, say), begin the command with `rm -rf /tmp/gpu_default*;`.
#   usage (repo root, device tool, carry [".devdata"]): [WAIT=540] [SCRIPT=scripts/train_default.sh]
#          bash benchmarks/device_train_default.sh   (other variables pass through to SCRIPT)
set -u
cd "$(dirname "$0")/.."
WAIT="${WAIT:-540}" SCRIPT="${SCRIPT:-scripts/train_default.sh}" R=/tmp/gpu_default OUT="${OUT:-/tmp/out}"
mkdir -p "$OUT"
T0=$(date +%s)
if [ ! -f /tmp/gpu_default.started ]; then
  mkdir -p /tmp/data /tmp/cache /tmp/pkg/skelapp /tmp/bin
  tar xJf .devdata/devdata.tar.xz -C /tmp/data && cp .devdata/text_*.npy /tmp/cache/ || exit 1
  for d in app core devices training assets; do ln -sfn "$PWD/$d" "/tmp/pkg/skelapp/$d"; done
  printf '#!/bin/sh\nexec python3 -c "import sys; from skelapp.app.cli import main; sys.exit(main())" "$@"\n' \
    > /tmp/bin/skelapp
  chmod +x /tmp/bin/skelapp
  date +%s > /tmp/gpu_default.started
  PYTHONPATH=/tmp/pkg PATH="/tmp/bin:$PATH" PYTHONUNBUFFERED=1 PARALLEL=4 CACHE=/tmp/cache setsid bash -c \
    "s=\$(date +%s); bash $SCRIPT /tmp/data $R; echo \"rc=\$? seconds=\$(( \$(date +%s) - s ))\" \
     > /tmp/gpu_default.done" > /tmp/gpu_default.log 2>&1 < /dev/null &
  { nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader
    python3 -c 'import torch, onnxruntime as o; print("torch", torch.__version__, torch.cuda.is_available(),
      "onnxruntime", o.__version__, o.get_available_providers())'
    nproc; lscpu | grep "Model name"; } > "$OUT/machine.txt" 2>&1
fi
progress() {
  { echo "elapsed since start: $(( $(date +%s) - $(cat /tmp/gpu_default.started) )) s"
    for f in "$R"/*.log "$R"/*/*.log; do [ -f "$f" ] && echo "$(basename "$f"): $(grep -c 'epoch' "$f") epoch lines"; done
    cat /tmp/gpu_default.done 2>/dev/null
    tail -n 20 /tmp/gpu_default.log; } > "$OUT/progress.txt" 2>&1
}
while [ ! -f /tmp/gpu_default.done ] && [ $(( $(date +%s) - T0 )) -lt "$WAIT" ]; do progress; sleep 5; done
progress
cat "$OUT/progress.txt"
if [ -f /tmp/gpu_default.done ]; then
  cp /tmp/gpu_default.log "$OUT/train.log"
  tar czf "$OUT/result.tgz" -C "$R" --exclude='*.pt' . && ls -la "$OUT"
fi
