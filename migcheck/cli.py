"""`migcheck`: the command line.  Each subcommand lives in migcheck/commands/<name>.py.

Exit codes: 0 all checked properties hold, 1 a property is violated, 2 bad input (one line
on stderr, never a traceback), 3 unknown (e.g. a proof neither succeeded nor failed, or out
of memory), 130 interrupted by SIGINT (Ctrl-C), 143 by SIGTERM: the summary of what was done
is printed and the output files are written, marked incomplete.
"""

from __future__ import annotations

import argparse
import importlib
import sys

from migcheck.checker import interrupts
from migcheck.checker.files import OutputError
from migcheck.checker.inputs import InputError
from migcheck.checker.spec import ModelError

COMMANDS = ("check", "models", "properties", "trace", "report", "graph", "validate", "replay",
            "record", "fuzz", "prove")


class UsageError(Exception):
    """Bad input: reported as one line, exit code 2."""


class Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # one line, exit 2
        raise UsageError(message)


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(prog="migcheck", description="Model checker for QEMU's postcopy migration"
                    " pause/recovery protocol.")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=Parser)
    for name in COMMANDS:
        module = importlib.import_module(f"migcheck.commands.{name.replace('-', '_')}")
        p = sub.add_parser(name, help=module.HELP, description=module.HELP)
        module.configure(p)
        p.set_defaults(run=module.run)
    return parser


def main(argv: list[str] | None = None) -> int:
    with interrupts.handling():
        try:
            args = build_parser().parse_args(argv)
            code = int(args.run(args))
        except (UsageError, OutputError, InputError, ModelError) as exc:
            print(f"migcheck: error: {exc}", file=sys.stderr)
            return 2
        except KeyboardInterrupt:
            print("migcheck: interrupted", file=sys.stderr)
            return interrupts.exit_code()
        except MemoryError:
            print("migcheck: out of memory (a smaller bound, --pages or --failures, needs"
                  " less)", file=sys.stderr)
            return 3
        except BrokenPipeError:
            return 0
        return interrupts.exit_code() if interrupts.received() else code


if __name__ == "__main__":
    sys.exit(main())
