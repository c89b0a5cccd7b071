"""Values of a trace as short text, the same in every view.

Lists and tuples as `[a, b]` (a channel's messages, oldest first), sets as `{a, b}`, maps as
`{k ↦ v}`, records as `{field: v}`; anything nested deeper than `MAX_DEPTH` as `…`, so no
input can exhaust the stack.
"""

from __future__ import annotations

from migcheck.checker.trace import ItfMap, ItfSet, Unserializable

MAX_DEPTH = 40


def show(value: object, depth: int = 0) -> str:
    if depth > MAX_DEPTH:
        return "…"
    inner = depth + 1
    if isinstance(value, ItfSet):
        return "{" + ", ".join(show(v, inner) for v in value) + "}"
    if isinstance(value, ItfMap):
        return "{" + ", ".join(f"{show(k, inner)} ↦ {show(v, inner)}" for k, v in value) + "}"
    if isinstance(value, tuple | list):
        return "[" + ", ".join(show(v, inner) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {show(v, inner)}" for k, v in value.items()) + "}"
    if isinstance(value, Unserializable):
        return value.text
    return str(value)
