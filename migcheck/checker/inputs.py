"""Reading input files: bounded and strict, so a bad file is one clear line, never a traceback
or a hang.

Every file migcheck reads (saved traces, reports, JSON-lines logs) goes through
`read_text`: only a regular file is opened for its content (a FIFO, a device or a directory is
refused without blocking), at most `MAX_BYTES` are read, and the text must be UTF-8.  JSON is
parsed by `parse_json` with limits: nesting depth, integer size, no NaN or Infinity.  The
typed getters (`member`, `items`, ...) read a parsed document and name the JSON path of what
is wrong.  Every failure is an `InputError` whose message names the file.
"""

from __future__ import annotations

import json
import math
import os
import stat
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

MAX_BYTES = 64 * 1024 * 1024  # generous for a trace or a report; refuses a runaway file
MAX_DEPTH = 64  # our documents nest a handful of levels
MAX_INT = 2**63 - 1  # integers beyond int64 are not ours (ITF writes them as #bigint)
_INT_DIGITS = len(str(MAX_INT)) + 1  # sign included: longer literals are refused unparsed

T = TypeVar("T")


class InputError(ValueError):
    """An input file that cannot be used: one line for the user, naming the file."""


class ShapeError(ValueError):
    """A parsed document of the wrong shape; `where` is the JSON path ("states[3].#meta")."""

    def __init__(self, where: str, message: str):
        super().__init__(f"{where}: {message}" if where else message)
        self.where = where


def read_text(path: Path | str, max_bytes: int = MAX_BYTES) -> str:
    """The whole UTF-8 text of a regular file of at most `max_bytes` bytes."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY)
    except (OSError, ValueError) as exc:  # ValueError: a NUL byte in the name
        raise InputError(f"cannot read {path}: {getattr(exc, 'strerror', None) or exc}"
                         ) from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            kind = "a directory" if stat.S_ISDIR(info.st_mode) else "not a regular file"
            raise InputError(f"cannot read {path}: {kind}")
        if info.st_size > max_bytes:
            raise InputError(f"{path}: {info.st_size:,} bytes, more than the"
                             f" {max_bytes:,} allowed")
        chunks, size = [], 0
        while size <= max_bytes:
            chunk = os.read(fd, min(1 << 20, max_bytes + 1 - size))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
        if size > max_bytes:
            raise InputError(f"{path}: more than the {max_bytes:,} bytes allowed")
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc.strerror or exc}") from None
    finally:
        os.close(fd)
    data = b"".join(chunks)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(f"{path}: not UTF-8 text (byte {exc.start})") from None


def _int(text: str) -> int:
    if len(text) > _INT_DIGITS or abs(value := int(text)) > MAX_INT:
        raise ValueError(f"integer {text[:24]}{'...' if len(text) > 24 else ''} out of range")
    return value


def _float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"number {text[:24]} out of range")
    return value


def _constant(text: str) -> object:
    raise ValueError(f"{text} is not a JSON number")


def parse_json(text: str, name: str) -> object:
    """`text` parsed as strict JSON within the limits; `name` (the file, and line) is put in
    front of any error."""
    try:
        doc = json.loads(text, parse_int=_int, parse_float=_float, parse_constant=_constant)
    except json.JSONDecodeError as exc:
        raise InputError(f"{name}: not JSON: {exc.msg} at line {exc.lineno}"
                         f" column {exc.colno}") from None
    except RecursionError:
        raise InputError(f"{name}: nested more than {MAX_DEPTH} levels deep") from None
    except ValueError as exc:  # from the hooks above
        raise InputError(f"{name}: {exc}") from None
    if depth(doc) > MAX_DEPTH:
        raise InputError(f"{name}: nested more than {MAX_DEPTH} levels deep")
    return doc


def depth(doc: object) -> int:
    """How deeply lists and objects nest in `doc` (without recursion)."""
    deepest, todo = 0, [(doc, 1)]
    while todo:
        value, level = todo.pop()
        if isinstance(value, dict):
            children = value.values()
        elif isinstance(value, list):
            children = value
        else:
            continue
        deepest = max(deepest, level)
        if level > MAX_DEPTH:
            break
        todo.extend((child, level + 1) for child in children)
    return deepest


def load_json(path: Path | str, max_bytes: int = MAX_BYTES) -> object:
    return parse_json(read_text(path, max_bytes), str(path))


# --- typed access to a parsed document ------------------------------------------------------

MISSING = object()
_NAMES = {dict: "an object", list: "a list", str: "a string", int: "an integer",
          bool: "true or false", float: "a number", type(None): "null"}


def kind_of(value: object) -> str:
    return _NAMES.get(type(value), type(value).__name__)


def expect(value: object, kinds: type | tuple[type, ...], where: str) -> object:
    """`value` if it is of one of `kinds` (a bool is not an integer here), else ShapeError."""
    kinds = kinds if isinstance(kinds, tuple) else (kinds,)
    ok = isinstance(value, kinds) and not (isinstance(value, bool) and int in kinds
                                           and bool not in kinds)
    if not ok:
        wanted = " or ".join(_NAMES.get(k, k.__name__) for k in kinds)
        raise ShapeError(where, f"expected {wanted}, found {kind_of(value)}")
    return value


def member(obj: object, key: str, kinds: type | tuple[type, ...], where: str,
          default: object = MISSING) -> object:
    """obj[key], checked to be of `kinds`; `default` when absent (or null), if one is given."""
    expect(obj, dict, where)
    value = obj.get(key)  # type: ignore[union-attr]
    if value is None:
        if default is not MISSING:
            return default
        raise ShapeError(where, f"missing {key!r}")
    return expect(value, kinds, join(where, key))


def items(value: object, where: str, read: Callable[[object, str], T]) -> list[T]:
    """Each element of the list `value` read by `read(element, its path)`."""
    expect(value, list, where)
    return [read(x, f"{where}[{i}]") for i, x in enumerate(value)]  # type: ignore[union-attr]


def strings(value: object, where: str) -> tuple[str, ...]:
    return tuple(items(value, where, lambda x, w: str(expect(x, str, w))))


def string_map(value: object, where: str) -> dict[str, str]:
    expect(value, dict, where)
    return {k: str(expect(v, str, join(where, k))) for k, v in value.items()}  # type: ignore[union-attr]


def join(where: str, key: str) -> str:
    return f"{where}.{key}" if where else key
