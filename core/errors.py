"""Error types shared by readers, sources and the recognizer."""

from __future__ import annotations

from pathlib import Path


class SkelappError(Exception):
    """Base class for every error skelapp raises on purpose."""


class SkeletonFormatError(SkelappError, ValueError):
    """A skeleton file is not in the expected format.

    The message always names the file, the line (1-based, when known) and what was expected.
    """

    def __init__(self, path: str | Path | None, message: str, line: int | None = None) -> None:
        self.path = str(path) if path is not None else "<memory>"
        self.line = line
        self.reason = message
        where = self.path if line is None else f"{self.path}:{line}"
        super().__init__(f"{where}: {message}")


class LayoutMismatchError(SkelappError, ValueError):
    """Data in one joint layout was given where another was required."""
