"""Printing to a stdout whose reader may leave early (``skelapp ... | head``)."""

from __future__ import annotations

import os
import sys
from typing import TextIO


def silence_stdout() -> None:
    """Send the rest of stdout to /dev/null, so that neither later prints nor the interpreter's
    final flush raise ``BrokenPipeError`` again once the reader has gone away."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, sys.stdout.fileno())
    finally:
        os.close(devnull)


def write_line(out: TextIO, line: str) -> bool:
    """Print *line* to *out* and flush; False once *out*'s reader has gone away (its pipe closed).

    Losing a printout must not end a run or its log; stdout is silenced then (see
    :func:`silence_stdout`), another stream just stops being written by the caller."""
    try:
        print(line, file=out, flush=True)
        return True
    except BrokenPipeError:
        if out is sys.stdout:
            silence_stdout()
        return False
