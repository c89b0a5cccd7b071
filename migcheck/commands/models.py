"""`migcheck models`: the model versions, what each changes, and the composed model itself.

  migcheck models                          every version (built-in, installed, or in FILE)
  migcheck models path/to/proposal.py      the versions a proposal file defines
  migcheck models --changes [MODEL]        each change: layer, what it touches, why, where
  migcheck models --actions MODEL          actor, action and QEMU function of every action
  migcheck models --show MODEL [ACTION]    the composed guard and effect of each action, each
                                           part labelled with the layer that contributed it
"""

from __future__ import annotations

import argparse
from pathlib import Path

from rich.console import Console
from rich.table import Table

from migcheck.build import Built, chain_of
from migcheck.checker.edit import short_path
from migcheck.checker.expr import show
from migcheck.checker.spec import Action, Model, ModelError
from migcheck.cli import UsageError
from migcheck.commands import terminal
from migcheck.commands.options import int_arg, load
from migcheck.model.config import MAX_FAILURES, MAX_PAGES, Config
from migcheck.proposals import builtin, installed, load_file

HELP = "list the model versions, their changes, actions and composed guards/effects"


def configure(p: argparse.ArgumentParser) -> None:
    p.add_argument("file", nargs="?", help="a proposal file: list the versions it defines")
    what = p.add_mutually_exclusive_group()
    what.add_argument("--changes", nargs="?", const="", metavar="MODEL",
                      help="list each version's changes (or only MODEL's chain)")
    what.add_argument("--actions", metavar="MODEL", help="list MODEL's actions")
    what.add_argument("--show", nargs="+", metavar=("MODEL", "ACTION"),
                      help="MODEL's composed guards and effects (of ACTION only, if given)")
    p.add_argument("--failures", type=int_arg("--failures", 0, MAX_FAILURES), default=2,
                   metavar="K", help="bound for --actions/--show (default 2)")
    p.add_argument("--pages", type=int_arg("--pages", 0, MAX_PAGES), default=2, metavar="N",
                   help="guest pages for --actions/--show (default 2)")
    p.add_argument("--preempt", action="store_true", help="postcopy-preempt on")


def run(args: argparse.Namespace) -> int:
    out = terminal.console(args)
    if args.actions or args.show:
        name = args.actions or args.show[0]
        built = load(Config(name, args.failures, args.pages, args.preempt))
        if args.actions:
            _actions(built.model, out)
        else:
            _show(built, args.show[1:], out)
        return 0
    if args.changes is not None:
        _changes(args.changes or args.file, args, out)
        return 0
    _versions(args.file, out)
    return 0


def _versions(file: str | None, out: Console) -> None:
    table = Table()
    for col in ("model", "based on", "from", "what it describes"):
        table.add_column(col, no_wrap=col != "what it describes")
    if file:
        try:
            found = load_file(Path(file))
        except ModelError as exc:
            raise UsageError(str(exc)) from None
        rows = [(v, f"{v.origin[0]}:{v.origin[1]}") for v in found]
    else:
        rows = [(v, "built-in") for v in builtin().values()]
        rows += [(v, "installed") for v in installed().values()]
    for v, origin in rows:
        table.add_row(v.name, v.base or "-", origin, v.summary)
    out.print(table)


def _changes(model: str | None, args: argparse.Namespace, out: Console) -> None:
    names = [model] if model else list(builtin())
    for name in names:
        config = Config(name, args.failures, args.pages, args.preempt)
        try:
            chain = chain_of(config) if model else (builtin()[name],)
        except ModelError as exc:
            raise UsageError(str(exc)) from None
        for v in chain:
            out.print(f"[bold]{v.name}[/] (based on {v.base or 'nothing'}): {v.summary}")
            try:
                changes = v.changes(config)
            except ModelError as exc:
                out.print(f"  [dim]not at this configuration: {exc}[/]")
                continue
            for c in changes:
                commit = f" [{c.commit}]" if c.commit else ""
                out.print(f"  - {type(c).__name__} {c.touches()}")
                out.print(f"      {c.why}{commit}  [dim]{c.where()}[/]")
        out.print()


def _actions(model: Model, out: Console) -> None:
    table = Table(title=f"{model.name}: {len(model.actions)} actions")
    for col in ("actor", "action", "QEMU function", "program points"):
        table.add_column(col)
    for a in sorted(model.actions, key=lambda a: model.actor_index[a.actor]):
        starts, goes = model.program_points(a)
        points = ""
        if starts:
            points = "|".join(str(s) for s in starts) + (f" -> {goes}" if goes else "")
        table.add_row(a.actor, a.name, a.cites, points)
    out.print(table)


def _show(built: Built, only: list[str], out: Console) -> None:
    model = built.model
    out.print(f"[bold]{model.name}[/]: {model.doc}")
    out.print(f"layers, in order: {' -> '.join(model.layers)}"
              f" (then couplings; config: {built.config.describe()})")
    actions = model.actions
    if only:
        try:
            actions = tuple(model.action(n) for n in only)
        except ModelError as exc:
            raise UsageError(str(exc)) from None
    for a in actions:
        out.print()
        _show_action(model, a, out)


def _show_action(model: Model, a: Action, out: Console) -> None:
    origin = dict(a.origin)
    path, line = a.source
    out.print(f"[bold cyan]{a.name}[/]  [{a.actor}]  {a.cites}"
              + (f"  ({short_path(path)}:{line})" if path else ""))
    out.print(f"  guard     {show(a.guard)}    [dim]({origin.get('guard', '?')})[/]")
    for extra, layer in a.strengthened:
        out.print(f"  guard &=  {show(extra)}    [dim]({layer})[/]")
    for assumption in model.assumptions:
        if assumption.applies_to(a.name):
            out.print(f"  assumes   {show(assumption.guard)}    [dim](assumption"
                      f" {assumption.name})[/]")
    for var, value in a.effect:
        out.print(f"  {var} := {show(value)}    [dim]({origin.get(var, '?')})[/]")
    if a.reply is not None:
        out.print(f"  reply     {a.reply!r}")
    for layer, what, (file, line) in a.touched[1:]:
        out.print(f"  [dim]changed by {layer}: {what} ({short_path(file)}:{line})[/]")
