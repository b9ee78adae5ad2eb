"""Where the package's bundled ``assets/`` (model, label lists, descriptions) are installed."""

from __future__ import annotations

import importlib
from pathlib import Path


def assets_dir() -> Path:
    """``skelapp/assets`` of the installed package."""
    return Path(importlib.import_module("skelapp.assets").__file__).resolve().parent
