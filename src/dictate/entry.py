"""The `dictate` console script. `dictate ctl COMMAND` is answered without loading the rest of the CLI: a
compositor runs it on every press and release of a key, and the typer app with its settings models takes
0.5-1 s to import where this takes about 0.1 s (push-to-talk would miss the first words). Anything else,
`dictate ctl --help` included, goes to ``dictate.cli.main``."""

from __future__ import annotations

import sys


def main() -> None:
    arguments = sys.argv[1:]
    if len(arguments) == 2 and arguments[0] == "ctl":
        from dictate.tui.control import ControlCommand, run_ctl

        if arguments[1] in {command.value for command in ControlCommand}:
            sys.exit(run_ctl(ControlCommand(arguments[1])))
    from dictate.cli import main as cli_main

    cli_main()


if __name__ == "__main__":
    main()
