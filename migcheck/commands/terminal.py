"""The terminal every command prints to: its width and whether it gets colours.

Width: `--width` where a command has it, else `COLUMNS` (also when the output is piped, so
`COLUMNS=80 migcheck check | less` is laid out for 80 columns), else the terminal's own size,
else 100.  An odd `COLUMNS` (not a number, or absurdly small or large) is clamped or ignored,
never trusted.  Colours (`--color`): `auto` means on a terminal and without NO_COLOR
(https://no-color.org); `always` and `never` force them.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys

from rich.console import Console

MIN_WIDTH = 40
MAX_WIDTH = 1000
DEFAULT_WIDTH = 100


def clamp(width: int) -> int:
    return max(MIN_WIDTH, min(width, MAX_WIDTH))


def width(explicit: int | None = None, stream: object = None) -> int:
    if explicit is not None:
        return clamp(explicit)
    text = os.environ.get("COLUMNS", "").strip()
    if text.isascii() and text.isdigit() and int(text) > 0:
        return clamp(int(text))
    if (stream or sys.stdout).isatty():  # type: ignore[attr-defined]
        return clamp(shutil.get_terminal_size((DEFAULT_WIDTH, 24)).columns)
    return DEFAULT_WIDTH


def use_colour(choice: str, stream: object = None) -> bool:
    if choice != "auto":
        return choice == "always"
    tty = (stream or sys.stdout).isatty()  # type: ignore[attr-defined]
    return bool(tty) and not os.environ.get("NO_COLOR")


def console(args: argparse.Namespace | None = None, stderr: bool = False,
            explicit_width: int | None = None) -> Console:
    """A rich Console for stdout (or stderr) that honours COLUMNS and --color."""
    stream = sys.stderr if stderr else sys.stdout
    choice = getattr(args, "color", "auto") if args is not None else "auto"
    colour = use_colour(choice, stream)
    return Console(file=stream, width=width(explicit_width, stream),
                   force_terminal=True if choice == "always" else None,
                   color_system="standard" if colour else None, no_color=not colour,
                   highlight=False, legacy_windows=False)
