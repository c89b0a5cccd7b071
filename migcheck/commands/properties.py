"""`migcheck properties`: every property with its statement and the QEMU fact behind it."""

from __future__ import annotations

import argparse

from rich.console import Console
from rich.table import Table

HELP = "list the properties"


def configure(p: argparse.ArgumentParser) -> None:
    pass


def run(args: argparse.Namespace) -> int:
    from migcheck import properties

    table = Table(show_lines=True)
    for col in ("property", "kind", "statement", "rests on"):
        table.add_column(col)
    for p in properties.ALL:
        table.add_row(p.name, p.kind, p.statement, p.rests_on)
    Console().print(table)
    return 0
