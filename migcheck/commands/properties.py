"""`migcheck properties`: every property with its statement and the QEMU fact behind it."""

from __future__ import annotations

import argparse

from rich.table import Table

from migcheck.commands import terminal
from migcheck.commands.options import add_model_options, config_of, load

HELP = "list the properties"


def configure(p: argparse.ArgumentParser) -> None:
    add_model_options(p, pages=1)


def run(args: argparse.Namespace) -> int:
    built = load(config_of(args))
    table = Table(show_lines=True, title=f"properties of {built.config.describe()}")
    for col in ("property", "kind", "statement", "rests on"):
        table.add_column(col, no_wrap=col in ("property", "kind"))
    for p in built.properties:
        table.add_row(p.name, p.kind, p.statement, p.rests_on)
    terminal.console(args).print(table)
    return 0
