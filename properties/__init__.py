"""What must hold of QEMU's postcopy pause/recovery protocol.

Each property has a name, a one-line statement and the QEMU fact it rests on.  Properties are
built for a model (`for_model`): which actors a property may use, the transition tables and
where a page can be in flight come from the model itself, so a designer's new thread, state
or channel is taken into account.  The order is the one `migcheck check` reports in.
"""

from __future__ import annotations

from migcheck.checker.kinds import Property
from migcheck.checker.spec import Model
from migcheck.properties import liveness, pages, preempt, safety, witnesses

GROUPS = (liveness, safety, witnesses, pages, preempt)


def for_model(model: Model) -> list[Property]:
    """The built-in properties that mean something for `model`."""
    return [p for group in GROUPS for p in group.build(model)]
