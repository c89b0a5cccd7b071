"""Where model versions come from: the built-in ones, installed packages, and proposal files.

A designer's proposal is a Python file anywhere (`--model path/to/file.py[:NAME]`) that
imports `migcheck.design` and defines `Version`s at module level.  A shared proposal can be
installed as a package that declares an entry point in the group `migcheck.models`, naming a
module (its versions are found the same way) or one Version object.  A proposal file may
import its sibling files.
"""

from __future__ import annotations

import importlib.util
import sys
import traceback
from importlib.metadata import entry_points
from pathlib import Path
from types import ModuleType

from migcheck.checker.spec import ModelError
from migcheck.model.versions import BUILT_IN, Version

ENTRY_POINT_GROUP = "migcheck.models"


class ProposalError(ModelError):
    """A proposal that cannot be loaded: one line naming its file and line."""


def builtin() -> dict[str, Version]:
    return {v.name: v for v in BUILT_IN}


def installed() -> dict[str, Version]:
    """Versions that installed packages declare (entry point group `migcheck.models`)."""
    out: dict[str, Version] = {}
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        try:
            target = ep.load()
        except Exception as exc:  # noqa: BLE001 - a broken plugin must not stop the tool
            raise ProposalError(f"entry point {ep.name} ({ep.value}): {_one_line(exc)}") \
                from None
        for v in _versions_in(target) if isinstance(target, ModuleType) else [target]:
            if isinstance(v, Version):
                out[v.name] = v
    return out


def known() -> dict[str, Version]:
    return {**builtin(), **installed()}


def is_file_spec(spec: str) -> bool:
    return spec.partition(":")[0].endswith(".py") or "/" in spec


def resolve(spec: str) -> tuple[Version, dict[str, Version]]:
    """The version `spec` names, and every version it may be based on."""
    versions = known()
    if not is_file_spec(spec):
        if spec not in versions:
            raise ProposalError(f"unknown model {spec!r} (known: {', '.join(versions)};"
                                " or give a proposal file, path/to/file.py[:NAME])")
        return versions[spec], versions
    path_text, _, name = spec.partition(":") if not spec.endswith(".py") else (spec, "", "")
    found = load_file(Path(path_text))
    if not found:
        raise ProposalError(f"{path_text}: defines no Version")
    for v in found:
        if v.name in versions and versions[v.name] is not v and v.name in builtin():
            raise ProposalError(f"{_where(v)}: version {v.name!r} is a built-in name")
        versions[v.name] = v
    if name:
        chosen = next((v for v in found if v.name == name), None)
        if chosen is None:
            raise ProposalError(f"{path_text} defines no version {name!r} (it defines:"
                                f" {', '.join(v.name for v in found)})")
        return chosen, versions
    if len(found) > 1:
        raise ProposalError(f"{path_text} defines {len(found)} versions; pick one with"
                            f" {path_text}:NAME ({', '.join(v.name for v in found)})")
    return found[0], versions


def load_file(path: Path) -> list[Version]:
    """The versions a proposal file defines, in definition order."""
    try:
        found = path.is_file()
    except (OSError, ValueError) as exc:  # a name too long, ...
        raise ProposalError(f"{path}: {getattr(exc, 'strerror', None) or exc}") from None
    if not found:
        raise ProposalError(f"{path}: no such proposal file")
    module_name = f"migcheck_proposal_{abs(hash(str(path.resolve())))}"
    spec = importlib.util.spec_from_file_location(module_name, path)
    if spec is None or spec.loader is None:
        raise ProposalError(f"{path}: cannot be loaded as Python")
    module = importlib.util.module_from_spec(spec)
    folder = str(path.resolve().parent)
    sys.path.insert(0, folder)  # sibling imports
    try:
        sys.modules[module_name] = module
        spec.loader.exec_module(module)
    except ModelError as exc:
        raise ProposalError(str(exc)) from None
    except Exception as exc:  # noqa: BLE001 - any mistake in the file is bad input
        raise ProposalError(f"{_frame_in(exc, path)}: {_one_line(exc)}") from None
    finally:
        sys.path.remove(folder)
    return _versions_in(module)


def _versions_in(module: ModuleType) -> list[Version]:
    seen: dict[int, Version] = {}
    for value in vars(module).values():
        if isinstance(value, Version):
            seen.setdefault(id(value), value)
        elif isinstance(value, list | tuple):
            for item in value:
                if isinstance(item, Version):
                    seen.setdefault(id(item), item)
    return sorted(seen.values(), key=lambda v: v.origin[1])


def _frame_in(exc: BaseException, path: Path) -> str:
    """file:line of the deepest frame of the traceback inside the proposal's folder."""
    target = str(path.resolve().parent)
    where = str(path)
    if isinstance(exc, SyntaxError) and exc.lineno:
        return f"{path}:{exc.lineno}"
    for frame in traceback.extract_tb(exc.__traceback__):
        if str(Path(frame.filename).resolve()).startswith(target):
            where = f"{frame.filename}:{frame.lineno}"
    return where


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0] if text else ''}".rstrip(": ")


def _where(v: Version) -> str:
    path, line = v.origin
    return f"{path}:{line}" if path else v.name
