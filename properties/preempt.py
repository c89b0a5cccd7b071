"""Properties that only mean something with postcopy-preempt on (n/a otherwise)."""

from __future__ import annotations

from migcheck.checker.expr import Var
from migcheck.checker.kinds import Invariant, Property
from migcheck.checker.spec import Model

CHANNEL_IDENTITY = Invariant(
    "channel-identity",
    "The destination never takes a connection for the wrong channel (main vs preempt).",
    "Reference 6.5(9): without multifd, the first connection while from_src_file is NULL is"
    " the main channel, any later one the preempt channel; the source orders its connects so"
    " that this holds.",
    predicate=~Var("channel_mixup"),
)

def build(model: Model) -> list[Property]:
    return [CHANNEL_IDENTITY] if "channel_mixup" in model.var_index else []
