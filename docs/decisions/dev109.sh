#!/usr/bin/env bash
# dev109's runs (docs/decisions/dev109.md): the fine-tune without co-training (NW-UCLA clips only; the
# pretraining keeps MSR Action3D), from dev105's pretraining, seeds 7-9 (runs/dev109/nocotrain_s*).
#   usage (repo root): bash docs/decisions/dev109.sh [DATA]
COTRAIN= exec bash "$(dirname "$0")/finetune_dev105.sh" dev109 nocotrain '{"readout": "parts", "dropout": 0.0}' \
  "${1:-../shared/data}"
