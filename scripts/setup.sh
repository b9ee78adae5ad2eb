#!/usr/bin/env bash
# Create .venv and install skelapp with everything the app, training and tests need.
# Picks the `gpu` extra (onnxruntime-gpu) when nvidia-smi works, `cpu` otherwise.
# Idempotent: re-running only installs what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
fi
. .venv/bin/activate
if nvidia-smi >/dev/null 2>&1; then RT=gpu; else RT=cpu; fi
EXTRAS="${RT},export,gui,video,kinect,text,train,dev${SKELAPP_EXTRAS:+,$SKELAPP_EXTRAS}"
# torch first, pinned, so nothing pulls a CUDA build from the index.
python -m pip install -q --disable-pip-version-check "torch==2.13.0"
python -m pip install -q --disable-pip-version-check -e ".[${EXTRAS}]"
echo "skelapp installed in .venv with extras [${EXTRAS}]; onnxruntime providers:" \
  "$(python -c 'import onnxruntime as o; print(",".join(o.get_available_providers()))')"
