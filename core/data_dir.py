"""Where the real research data lives (never part of the project; see DEVELOPERS.md).

``$SKELAPP_DATA`` first, then ``shared/data`` beside the checkout or the working directory; a
folder counts only when it holds the data's ``SOURCES.md``.
"""

from __future__ import annotations

import os
from pathlib import Path

MARKER = "SOURCES.md"


def data_dir_candidates() -> list[Path]:
    env = os.environ.get("SKELAPP_DATA")
    checkout = Path(__file__).resolve().parents[1]  # core/ -> the checkout (editable install)
    cwd = Path.cwd()
    out = [Path(env)] if env else []
    for base in (checkout.parent, checkout, cwd.parent, cwd):
        out.append(base / "shared" / "data")
    return out


def find_data_dir() -> Path | None:
    """The first candidate that holds ``SOURCES.md``, or None."""
    return next((c for c in data_dir_candidates() if (c / MARKER).is_file()), None)
