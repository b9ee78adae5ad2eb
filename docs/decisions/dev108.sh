#!/usr/bin/env bash
# dev108's runs (docs/decisions/dev108.md): the fine-tune at half the learning rate (--lr 0.002), from
# dev105's pretraining, seeds 7-9 (runs/dev108/lr2e3_s*).   usage (repo root): bash docs/decisions/dev108.sh [DATA]
exec bash "$(dirname "$0")/finetune_dev105.sh" dev108 lr2e3 '{"readout": "parts", "dropout": 0.0}' \
  "${1:-../shared/data}" --lr 0.002
