"""What must hold of QEMU's postcopy pause/recovery protocol.

Each property has a name, a one-line statement and the QEMU fact it rests on.  `ALL` is the
order `migcheck properties` prints and `migcheck check` checks them in.
"""

from __future__ import annotations

from migcheck.properties.liveness import LIVENESS
from migcheck.properties.pages import PAGE_NAMES, PAGES
from migcheck.properties.preempt import PREEMPT
from migcheck.properties.safety import SAFETY
from migcheck.properties.witnesses import WITNESSES

from migcheck.checker.props import Property

ALL: tuple[Property, ...] = (*LIVENESS, *SAFETY, *WITNESSES, *PAGES, *PREEMPT)
BY_NAME: dict[str, Property] = {p.name: p for p in ALL}


def select(names: list[str] | None, pages: int | None = None) -> list[Property]:
    """The named properties (all when none are named; without the page properties when the
    model has no pages, pages == 0); KeyError names an unknown one."""
    if not names:
        return [p for p in ALL if pages != 0 or p.name not in PAGE_NAMES]
    return [BY_NAME[n] for n in names]
