"""``python -m skelapp.training [train | evaluate | export | soup] ...``: the ``skelapp`` subcommands that
live in this package, with the same options and one-line errors; without a subcommand, ``train``."""

from __future__ import annotations

import sys

from skelapp.app.cli import SUBCOMMANDS
from skelapp.app.cli import main as skelapp_main  # the one dispatcher (error handling included)

COMMANDS = tuple(name for name, (module, _, _) in SUBCOMMANDS.items() if module == "skelapp.training.cli")


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] not in COMMANDS:
        argv = ["train", *argv]
    return skelapp_main(argv)


if __name__ == "__main__":
    sys.exit(main())
