"""The ``skelapp`` command: subcommands dispatch to their own modules, imported lazily.

``skelapp info|train|evaluate|export|soup|bench ...`` run a subcommand; anything else
(``skelapp --replay FILE``, ``--video``, ``--camera``, ``--kinect``, ``--headless`` ...) runs
the live app (:mod:`skelapp.app.run`).
"""

from __future__ import annotations

import importlib
import sys

from skelapp.app.stdout import silence_stdout
from skelapp.core.errors import SkelappError

SUBCOMMANDS = {
    "info": ("skelapp.app.info_cmd", "main", "describe a skeleton file"),
    "train": ("skelapp.training.cli", "train_main", "train a recognizer"),
    "evaluate": ("skelapp.training.cli", "evaluate_main", "evaluate a model"),
    "export": ("skelapp.training.cli", "export_main", "export a checkpoint to ONNX"),
    "soup": ("skelapp.training.cli", "soup_main", "average fine-tunes of one pretraining into one network"),
    "bench": ("skelapp.app.bench", "main", "benchmark the streaming recognizer"),
}


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] in SUBCOMMANDS:
        module, func, _ = SUBCOMMANDS[argv[0]]
        try:
            rc = int(getattr(importlib.import_module(module), func)(argv[1:]) or 0)
            sys.stdout.flush()  # here, not at exit, so that a reader gone early is caught below
            return rc
        except SkelappError as e:  # bad file, model, dataset...: one line, no traceback
            print(f"skelapp {argv[0]}: error: {' '.join(str(e).split())}", file=sys.stderr)
            return 2
        except BrokenPipeError:  # `skelapp evaluate --json | head`: the reader left; output is cut short
            silence_stdout()
            return 1
    if argv and argv[0] in ("-h", "--help") and len(argv) == 1:
        print("usage: skelapp [SUBCOMMAND] ... | skelapp [--replay F | --video F | --camera N | "
              "--kinect | --kinect-playback F] [--headless] [--log F]\n\nsubcommands:")
        for name, (_, _, helptext) in SUBCOMMANDS.items():
            print(f"  {name:10s} {helptext}")
        print("\n`skelapp --run-help` lists the live-app options.")
        return 0
    from skelapp.app import run

    return int(run.main(argv) or 0)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
