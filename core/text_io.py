"""Shared helpers for the text readers: strict decoding, line splitting and vectorised number parsing.

Every failure raises :class:`~skelapp.core.errors.SkeletonFormatError` naming the file, the
1-based line and what was expected, never a numpy or codec traceback.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from .errors import SkeletonFormatError

BOM = "\ufeff"


def read_text(path: str | Path) -> str:
    """Whole file as text (UTF-8, optional BOM dropped); rejects empty and binary files."""
    raw = Path(path).read_bytes()
    nul = raw.find(b"\x00")
    if nul >= 0:
        line = raw.count(b"\n", 0, nul) + 1
        raise SkeletonFormatError(path, "binary data (NUL byte): expected a text file", line)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        line = raw.count(b"\n", 0, e.start) + 1
        msg = f"not UTF-8 text (bad byte at offset {e.start}): expected a text file"
        raise SkeletonFormatError(path, msg, line) from None
    text = text[1:] if text.startswith(BOM) else text
    if not text.strip():
        raise SkeletonFormatError(path, "empty file: expected skeleton data", 1)
    return text


def read_lines(path: str | Path) -> list[str]:
    """Lines without their LF / CRLF ending; trailing blank lines are dropped."""
    lines = [ln[:-1] if ln.endswith("\r") else ln for ln in read_text(path).split("\n")]
    while lines and not lines[-1].strip():
        lines.pop()
    return lines


def parse_int(path: str | Path, token: str, line: int, what: str, lo: int | None = None,
              hi: int | None = None) -> int:
    """One integer token, optionally range-checked (``lo <= v < hi``)."""
    try:
        v = int(token)
    except ValueError:
        raise SkeletonFormatError(path, f"expected {what} (an integer), got {token[:40]!r}", line) from None
    if (lo is not None and v < lo) or (hi is not None and v >= hi):
        rng = f">= {lo}" if hi is None else f"in [{lo}, {hi})"
        raise SkeletonFormatError(path, f"expected {what} {rng}, got {v}", line)
    return v


def first_beyond_float32(values: np.ndarray) -> tuple[int, ...] | None:
    """Index of the first value that is no finite float32 (NaN, inf, or a double beyond float32's
    range, which the readers' float32 arrays would hold as inf); None if there is none."""
    bad = ~(np.abs(values) <= np.finfo(np.float32).max)
    return tuple(int(i) for i in np.argwhere(bad)[0]) if bad.any() else None


def parse_rows(path: str | Path, rows: list[list[str]], line_numbers: list[int] | np.ndarray, n_fields: int,
               what: str) -> np.ndarray:
    """Validate that every row has *n_fields* finite numbers; return ``(len(rows), n_fields)`` float64.

    ``line_numbers[i]`` is the 1-based file line of ``rows[i]`` (for error messages).
    """
    for i, r in enumerate(rows):
        if len(r) != n_fields:
            raise SkeletonFormatError(path, f"expected {n_fields} fields ({what}), got {len(r)}",
                                      int(line_numbers[i]))
    flat = [t for r in rows for t in r]
    try:
        data = np.array(flat, dtype=np.float64)
    except ValueError:
        for k, tok in enumerate(flat):
            try:
                float(tok)
            except ValueError:
                raise SkeletonFormatError(
                    path, f"expected a number in field {k % n_fields + 1} ({what}), got {tok[:40]!r}",
                    int(line_numbers[k // n_fields])) from None
        raise SkeletonFormatError(path, f"unparseable numbers ({what})", int(line_numbers[0])) from None
    data = data.reshape(len(rows), n_fields)
    at = first_beyond_float32(data)
    if at is not None:
        i, j = at
        msg = f"expected a finite number in field {j + 1} ({what}), got {rows[i][j]!r}"
        raise SkeletonFormatError(path, msg, int(line_numbers[i]))
    return data
