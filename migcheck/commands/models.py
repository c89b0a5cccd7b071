"""`migcheck models`: the model versions and what each changes."""

from __future__ import annotations

import argparse

from rich.console import Console
from rich.table import Table

HELP = "list the model versions"


def configure(p: argparse.ArgumentParser) -> None:
    p.add_argument("--changes", action="store_true", help="also list each version's changes")


def run(args: argparse.Namespace) -> int:
    from migcheck.model.versions import VERSIONS

    table = Table()
    table.add_column("model")
    table.add_column("based on")
    table.add_column("what it describes")
    for v in VERSIONS.values():
        table.add_row(v.name, v.base or "-", v.summary)
        if args.changes:
            for change in v.changes():
                table.add_row("", "", f"  - {type(change).__name__}: {change.why}")
    Console().print(table)
    return 0
