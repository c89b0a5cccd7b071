"""Defaults from `[tool.migcheck]` in the nearest pyproject.toml, so a CI matrix need not
repeat its flags.

    [tool.migcheck]             # every command that has the option
    model = "qemu-7.2"
    failures = 1
    sarif = "reports/migcheck.sarif"

    [tool.migcheck.check]       # one command only (wins over the table above)
    expect = ["recover-exits=violated"]

Keys are the long option names (`max-states` or `max_states`); a value is what the flag takes
(`true` for a switch, a list for a repeatable option).  The flags on the command line win: a
value given there replaces the file's (a repeatable option's list too).  A key no command
knows, or a value the option rejects, is bad input naming the file.
"""

from __future__ import annotations

import argparse
import tomllib
from collections.abc import Iterator
from pathlib import Path

from migcheck.checker.inputs import InputError, read_text

SECTION = "migcheck"


class DefaultsError(ValueError):
    """A bad `[tool.migcheck]` table: one line for the user."""


def find_pyproject(start: Path) -> Path | None:
    """The nearest pyproject.toml at or above `start`, not above the repository root."""
    for folder in (start, *start.parents):
        candidate = folder / "pyproject.toml"
        if candidate.is_file():
            return candidate
        if (folder / ".git").exists():
            return None
    return None


def read_table(path: Path) -> dict[str, object]:
    try:
        doc = tomllib.loads(read_text(path))
    except InputError as exc:
        raise DefaultsError(str(exc)) from None
    except tomllib.TOMLDecodeError as exc:
        raise DefaultsError(f"{path} is not valid TOML: {exc}") from None
    except RecursionError:
        raise DefaultsError(f"{path}: nested too deeply") from None
    table = doc.get("tool", {}).get(SECTION, {}) if isinstance(doc.get("tool"), dict) else {}
    if not isinstance(table, dict):
        raise DefaultsError(f"{path}: [tool.{SECTION}] must be a table")
    return table


def _options(parser: argparse.ArgumentParser) -> dict[str, argparse.Action]:
    """The parser's long options by name (`--max-states` -> `max-states`)."""
    out = {}
    for action in parser._actions:  # argparse offers no public list of a parser's actions
        for flag in action.option_strings:
            if flag.startswith("--") and flag not in ("--help", "--version"):
                out[flag[2:]] = action
    return out


def _given(action: argparse.Action, argv: list[str]) -> bool:
    return any(tok == flag or tok.startswith(flag + "=")
               for tok in argv for flag in action.option_strings)


def _tokens(key: str, value: object, action: argparse.Action, where: str) -> Iterator[str]:
    flag = f"--{key}"
    if action.nargs == 0:  # a switch
        if not isinstance(value, bool):
            raise DefaultsError(f"{where}: {key} must be true or false")
        if value:
            yield flag
        return
    values = value if isinstance(value, list) else [value]
    if isinstance(value, list) and not isinstance(action, argparse._AppendAction):
        raise DefaultsError(f"{where}: {key} takes one value, not a list")
    for item in values:
        if isinstance(item, dict | list) or isinstance(item, bool):
            raise DefaultsError(f"{where}: {key} must be a string or a number")
        text = str(item)
        try:
            converted = action.type(text) if callable(action.type) else text
        except (argparse.ArgumentTypeError, ValueError, TypeError) as exc:
            raise DefaultsError(f"{where}: {key}: {exc}") from None
        if action.choices is not None and converted not in action.choices:
            choices = ", ".join(map(str, action.choices))
            raise DefaultsError(f"{where}: {key} must be one of {choices}, not {text!r}")
        yield flag
        yield text


def apply(parser: argparse.ArgumentParser, command: str, argv: list[str],
          path: Path | None) -> list[str]:
    """Command-line tokens for the defaults that apply to `command` and that `argv` (the
    tokens after the command's name) does not set itself."""
    if path is None:
        return []
    table = read_table(path)
    subparsers = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    options = {name: _options(sub) for name, sub in subparsers.choices.items()}
    known = {key for opts in options.values() for key in opts}
    for key, value in table.items():
        if isinstance(value, dict):
            if key not in options:
                raise DefaultsError(f"{path}: [tool.{SECTION}.{key}]: no such command")
        elif key.replace("_", "-") not in known:
            raise DefaultsError(f"{path}: [tool.{SECTION}] {key}: no command has this option")
    mine = options.get(command, {})
    shared = {k.replace("_", "-"): v for k, v in table.items() if not isinstance(v, dict)}
    own_table = table.get(command, {})
    own = {k.replace("_", "-"): v for k, v in own_table.items()} \
        if isinstance(own_table, dict) else {}
    for key in own:
        if key not in mine:
            raise DefaultsError(f"{path}: [tool.{SECTION}.{command}] {key}: `{command}` has"
                                " no such option")
    merged = {**{k: (v, f"[tool.{SECTION}]") for k, v in shared.items() if k in mine},
              **{k: (v, f"[tool.{SECTION}.{command}]") for k, v in own.items()}}
    tokens: list[str] = []
    for key, (value, scope) in merged.items():
        action = mine[key]
        if not _given(action, argv):
            tokens += _tokens(key, value, action, f"{path}: {scope}")
    return tokens
