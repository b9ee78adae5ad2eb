#!/usr/bin/env bash
# dev106's runs (docs/decisions/dev106.md): the "parts_lateral" readout, fine-tuned from dev105's
# pretraining, seeds 7-9 (runs/dev106/lateral_s*).   usage (repo root): bash docs/decisions/dev106.sh [DATA]
exec bash "$(dirname "$0")/finetune_dev105.sh" dev106 lateral '{"readout": "parts_lateral", "dropout": 0.0}' "$@"
