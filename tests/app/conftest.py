"""GUI tests run headless (Qt offscreen platform) with throwaway settings."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
