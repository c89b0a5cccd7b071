"""Kinds of property, as plain data.

A property is a named value of one of these kinds; the application states its protocol's
properties with these (`properties/`), and each engine decides the kinds it supports
(`decide` on an explored graph, `z3` by proof or bounded search, `hypo` by random runs):

* `Invariant`   - a state predicate holds in every reachable state;
* `StepInvariant` - a predicate over (state, next state) holds on every step;
* `NoDeadlock`  - every state in which no fair actor can move is a declared valid end state;
* `LeavesEventually` - from every reachable state satisfying `cond`, every fair behaviour
  eventually leaves `cond` (weak fairness per fair actor; the environment and the operator
  are never obliged to act; stuttering is allowed);
* `Escapable`   - from every reachable state outside `goal`, some path made only of the
  `allowed` actors' steps reaches `goal`;
* `WaitsHavePosters` - every thread blocked at a declared wait point can still be woken:
  some path reaches a state where its wake-up condition holds;
* `Sometimes`   - a witness: some reachable state satisfies the predicate (catches vacuity).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

from migcheck.checker.edit import call_site
from migcheck.checker.expr import Expr, Var


@dataclass(frozen=True)
class Property:
    name: str
    statement: str
    rests_on: str  # the implementation fact behind it
    site: tuple[str, int] = field(default_factory=call_site, kw_only=True, compare=False)

    kind: ClassVar[str] = "property"


@dataclass(frozen=True)
class Invariant(Property):
    predicate: Expr = field(kw_only=True)
    kind: ClassVar[str] = "invariant"


@dataclass(frozen=True)
class StepInvariant(Property):
    """`predicate` may read `var` (the state before) and `next_<var>` (the state after)."""

    predicate: Expr = field(kw_only=True)
    kind: ClassVar[str] = "step invariant"


def next_(name: str) -> Var:
    """The value of a variable after the step, in a StepInvariant."""
    return Var(f"next_{name}")


@dataclass(frozen=True)
class NoDeadlock(Property):
    kind: ClassVar[str] = "deadlock"


@dataclass(frozen=True)
class LeavesEventually(Property):
    cond: Expr = field(kw_only=True)
    kind: ClassVar[str] = "liveness"


@dataclass(frozen=True)
class Escapable(Property):
    goal: Expr = field(kw_only=True)
    allowed: frozenset[str] = field(kw_only=True)  # actors whose steps may be used
    kind: ClassVar[str] = "escape"


@dataclass(frozen=True)
class WaitsHavePosters(Property):
    exempt: Expr = field(kw_only=True)
    kind: ClassVar[str] = "wake-up"


@dataclass(frozen=True)
class Sometimes(Property):
    predicate: Expr = field(kw_only=True)
    kind: ClassVar[str] = "witness"
