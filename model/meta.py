"""The annotations a model carries for its properties (`Model.meta`), and typed access to them.

Properties must not hard-code where things are in a model, or a designer's new channel or
thread would make them report false violations.  The model says it instead, and versions and
proposals edit it like any other part (`SetMeta`):

* TRANSITIONS: per status variable, which values may follow which (the reference's tables);
* IN_FLIGHT: the places a copy of a guest page can be on its way (a channel, a temp page),
  each a function from the page number to "a copy of this page is there";
* PAGES: how many guest pages the model has (0: none).

It also says where QEMU's source is (`report.SOURCE_LINKS`), for the links the views draw
from each action's "file.c:function".
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

from migcheck.checker.expr import Expr, any_of
from migcheck.checker.spec import Model

TRANSITIONS = "transitions"
IN_FLIGHT = "page-in-flight"
PAGES = "pages"
FUNCTION_URL = "https://elixir.bootlin.com/qemu/{tag}/A/ident/{{function}}"
FILE_URL = "https://gitlab.com/qemu-project/qemu/-/blob/{tag}/{{path}}"

Table = Mapping[object, tuple[object, ...]]


@dataclass(frozen=True)
class Place:
    """Somewhere a copy of a page can be between the source's send and the placement."""

    name: str
    holds: Callable[[int], Expr]


def transitions(model: Model) -> Mapping[str, Table]:
    return model.meta.get(TRANSITIONS, {})  # type: ignore[return-value]


def pages(model: Model) -> int:
    return int(model.meta.get(PAGES, 0))  # type: ignore[call-overload]


def in_flight(model: Model, page: int) -> Expr:
    """Some copy of `page` is on its way, in any place the model declares."""
    places: tuple[Place, ...] = model.meta.get(IN_FLIGHT, ())  # type: ignore[assignment]
    return any_of(*(place.holds(page) for place in places))


def allow(var: str, old: object, *new: object) -> Callable[[object], object]:
    """An update for SetMeta(TRANSITIONS): `var` may also move from `old` to each of `new`."""

    def update(tables: object) -> object:
        out = {k: dict(v) for k, v in tables.items()}  # type: ignore[attr-defined]
        row = out.setdefault(var, {})
        row[old] = tuple(dict.fromkeys((*row.get(old, ()), *new)))
        return out

    return update


def release_tag(versions: Iterable[str]) -> str:
    """QEMU's git tag for the first of `versions` (a version, then its bases) that names a
    release (`qemu-7.2+x` -> v7.2.0); master if none does (a proposal on a future QEMU)."""
    for name in versions:
        m = re.match(r"qemu-(\d+)\.(\d+)", name)
        if m:
            return f"v{m.group(1)}.{m.group(2)}.0"
    return "master"


def source_links(versions: Iterable[str]) -> dict[str, str]:
    """URL templates of QEMU's source at the release the versions describe."""
    tag = release_tag(versions)
    return {"function": FUNCTION_URL.format(tag=tag), "file": FILE_URL.format(tag=tag)}
