#!/usr/bin/env bash
# dev110's runs (docs/decisions/dev110.md): the fine-tune co-trained with every MSR Action3D clip
# (--cotrain-split all: its even, test subjects too), from dev105's pretraining, seeds 7-9
# (runs/dev110/msrall_s*).   usage (repo root): bash docs/decisions/dev110.sh [DATA]
exec bash "$(dirname "$0")/finetune_dev105.sh" dev110 msrall '{"readout": "parts", "dropout": 0.0}' \
  "${1:-../shared/data}" --cotrain-split all
