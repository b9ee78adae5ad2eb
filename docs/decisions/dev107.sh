#!/usr/bin/env bash
# dev107's runs (docs/decisions/dev107.md): the "mean_recent" window pool, fine-tuned from dev105's
# pretraining, seeds 7-9 (runs/dev107/recent_s*).   usage (repo root): bash docs/decisions/dev107.sh [DATA]
exec bash "$(dirname "$0")/finetune_dev105.sh" dev107 recent \
  '{"readout": "parts", "window_pool": "mean_recent", "dropout": 0.0}' "$@"
