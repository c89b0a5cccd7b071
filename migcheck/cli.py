"""`migcheck`: the command line.  Each subcommand lives in migcheck/commands/<name>.py.

Exit codes: 0 all checked properties hold (or every `--expect` is met), 1 a property is
violated, 2 bad input (one line on stderr, never a traceback), 3 unknown (e.g. a proof
neither succeeded nor failed, or out of memory), 130 interrupted by SIGINT (Ctrl-C), 143 by
SIGTERM: the summary of what was done is printed and the output files are written, marked
interrupted.

Defaults for any option may come from `[tool.migcheck]` in the nearest pyproject.toml
(migcheck/commands/defaults.py); the command line wins.
"""

from __future__ import annotations

import argparse
import importlib
import sys
import time
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

import shtab

from migcheck.checker import interrupts
from migcheck.checker.files import OutputError
from migcheck.checker.inputs import InputError
from migcheck.checker.spec import ModelError
from migcheck.commands import defaults

COMMANDS = ("check", "diff", "models", "properties", "trace", "report", "graph", "validate",
            "replay", "record", "fuzz", "prove", "export")
COLOR_CHOICES = ("auto", "always", "never")


class UsageError(Exception):
    """Bad input: reported as one line, exit code 2."""


class Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]  # one line, exit 2
        raise UsageError(message)


def package_version() -> str:
    try:
        return version("migcheck")
    except PackageNotFoundError:
        return "unknown (not installed)"


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(prog="migcheck", description="Model checker for QEMU's postcopy migration"
                    " pause/recovery protocol.")
    parser.add_argument("--version", action="version", version=f"migcheck {package_version()}")
    shtab.add_argument_to(parser, ["--print-completion"],
                          help="print a shell completion script (bash, zsh or tcsh) and exit")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=Parser)
    for name in COMMANDS:
        module = importlib.import_module(f"migcheck.commands.{name.replace('-', '_')}")
        p = sub.add_parser(name, help=module.HELP, description=module.HELP)
        module.configure(p)
        p.add_argument("--color", choices=COLOR_CHOICES, default="auto",
                       help="colours: auto = on a terminal unless NO_COLOR is set")
        p.set_defaults(run=module.run)
    return parser


def with_defaults(parser: argparse.ArgumentParser, argv: list[str]) -> list[str]:
    """argv with the pyproject.toml defaults of its command inserted after the command."""
    at = next((i for i, tok in enumerate(argv) if not tok.startswith("-")), None)
    if at is None or argv[at] not in COMMANDS:
        return argv
    try:
        extra = defaults.apply(parser, argv[at], argv[at + 1:],
                               defaults.find_pyproject(Path.cwd()))
    except defaults.DefaultsError as exc:
        raise UsageError(str(exc)) from None
    return [*argv[:at + 1], *extra, *argv[at + 1:]]


def main(argv: list[str] | None = None) -> int:
    started = time.perf_counter()  # a run's time (JUnit, the summary) counts from here
    with interrupts.handling():
        try:
            parser = build_parser()
            args = parser.parse_args(with_defaults(parser, list(sys.argv[1:] if argv is None
                                                                 else argv)))
            args.started = started
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
        except SystemExit as exc:  # --help, --version, --print-completion
            return exc.code if isinstance(exc.code, int) else 0
        return interrupts.exit_code() if interrupts.received() else code


if __name__ == "__main__":
    sys.exit(main())
