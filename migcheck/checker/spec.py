"""The shape every protocol model has: typed state variables and guarded actions.

A model is data.  `model/` fills these classes with QEMU's names; the engines
(`migcheck.checker.compile`, `migcheck.checker.explore`, the z3 encoder, the Hypothesis rules) only read them
and never mention a QEMU name themselves.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from functools import cached_property

from migcheck.checker.expr import TRUE, Expr, Var, all_of, lift, variables

# ---------------------------------------------------------------- domains


@dataclass(frozen=True)
class BoolDomain:
    def values(self) -> tuple:
        return (False, True)

    def encode(self, value: object) -> object:
        return bool(value)

    def decode(self, code: object) -> object:
        return bool(code)


@dataclass(frozen=True)
class IntDomain:
    lo: int
    hi: int

    def values(self) -> tuple:
        return tuple(range(self.lo, self.hi + 1))

    def encode(self, value: object) -> object:
        return int(value)  # type: ignore[arg-type]

    def decode(self, code: object) -> object:
        return code


@dataclass(frozen=True)
class EnumDomain:
    """Members of an enum, stored as their position in the enum's definition order."""

    enum_cls: type[enum.Enum]

    @cached_property
    def members(self) -> tuple[enum.Enum, ...]:
        return tuple(self.enum_cls)

    def values(self) -> tuple:
        return self.members

    def encode(self, value: object) -> object:
        return self.members.index(value)  # type: ignore[arg-type]

    def decode(self, code: object) -> object:
        return self.members[code]  # type: ignore[index]


@dataclass(frozen=True)
class TupleDomain:
    """A fixed-size tuple (message FIFOs, per-page arrays)."""

    elem: Domain
    size: int

    def values(self) -> tuple:
        raise TypeError("tuple domains are not enumerated")

    def encode(self, value: object) -> object:
        return tuple(self.elem.encode(v) for v in value)  # type: ignore[union-attr]

    def decode(self, code: object) -> object:
        return tuple(self.elem.decode(c) for c in code)  # type: ignore[union-attr]


Domain = BoolDomain | IntDomain | EnumDomain | TupleDomain

# ---------------------------------------------------------------- model pieces


class ActorKind(enum.Enum):
    THREAD = "thread"  # a QEMU thread (or the main loop): weakly fair
    ENV = "env"  # the network: never obliged to act
    ADMIN = "admin"  # the operator issuing QMP commands: never obliged to act


@dataclass(frozen=True)
class StateVar:
    name: str
    domain: Domain
    init: object
    doc: str
    lane: str  # the thread / channel / admin column a viewer shows it in
    event: str | None = None  # "src"/"dst": a change emits a MIGRATION event on that side
    role: str | None = None  # "bound": a counter that only limits the check (prove drops it)


@dataclass(frozen=True)
class Actor:
    name: str
    kind: ActorKind
    side: str  # "src", "dst" or "net"/"admin"
    doc: str
    qemu: str = ""  # QEMU's thread name, where it has one

    @property
    def fair(self) -> bool:
        return self.kind is ActorKind.THREAD


@dataclass(frozen=True)
class Action:
    """One atomic step: when `guard` holds, `actor` may perform `effect` (all at once)."""

    name: str
    actor: str
    guard: Expr
    effect: tuple[tuple[str, Expr], ...]
    qemu: str  # "file.c:function" the step stands for
    doc: str = ""
    command: str | None = None  # QMP command name, for admin actions
    reply: str | None = None  # None = accepted; otherwise QEMU's error text (a refusal)
    events: tuple[tuple[str, str], ...] = ()  # events emitted besides state changes
    source: tuple[str, int] = ("", 0)  # where in model/ the action is written

    @property
    def refused(self) -> bool:
        return self.reply is not None


@dataclass(frozen=True)
class Wait:
    """A blocking point: a thread at `pc_var == pc` sleeps until `until` holds.

    `on` names what it waits for (a semaphore such as "rp_sem", or "join(return path)").
    """

    actor: str
    pc_var: str
    pc: enum.Enum
    on: str
    until: Expr
    qemu: str

    def at(self) -> Expr:
        return Var(self.pc_var).eq(self.pc)


@dataclass(frozen=True)
class Assumption:
    """A named restriction on the environment or the admin, conjoined into some guards.

    Assumptions are how a check scopes itself; every run prints those in force.
    """

    name: str
    doc: str
    actions: tuple[str, ...]  # names (or name prefixes ending in '*') it restricts
    guard: Expr

    def applies_to(self, action_name: str) -> bool:
        for pattern in self.actions:
            if pattern.endswith("*") and action_name.startswith(pattern[:-1]):
                return True
            if action_name == pattern:
                return True
        return False


@dataclass(frozen=True)
class Model:
    name: str
    doc: str
    variables: tuple[StateVar, ...]
    actors: tuple[Actor, ...]
    actions: tuple[Action, ...]
    waits: tuple[Wait, ...] = ()
    assumptions: tuple[Assumption, ...] = ()
    valid_end: Expr = TRUE  # states where no QEMU thread may step without it being a deadlock
    params: Mapping[str, object] = field(default_factory=dict)
    bounds: tuple[str, ...] = ()  # prose for each finite bound the model imposes

    @cached_property
    def var_index(self) -> dict[str, int]:
        return {v.name: i for i, v in enumerate(self.variables)}

    @cached_property
    def actor_index(self) -> dict[str, int]:
        return {a.name: i for i, a in enumerate(self.actors)}

    def var(self, name: str) -> StateVar:
        return self.variables[self.var_index[name]]

    def actor(self, name: str) -> Actor:
        return self.actors[self.actor_index[name]]

    def action(self, name: str) -> Action:
        for a in self.actions:
            if a.name == name:
                return a
        raise KeyError(name)

    def guarded(self, action: Action) -> Expr:
        """The action's guard with every assumption that restricts it."""
        extra = [a.guard for a in self.assumptions if a.applies_to(action.name)]
        return all_of(action.guard, *extra)

    def initial(self) -> tuple:
        return tuple(v.domain.encode(v.init) for v in self.variables)

    def decode(self, state: tuple) -> dict[str, object]:
        return {v.name: v.domain.decode(c) for v, c in zip(self.variables, state, strict=True)}

    def with_changes(self, name: str, doc: str, changes: Iterable[Change]) -> Model:
        model = replace(self, name=name, doc=doc)
        for change in changes:
            model = change.apply(model)
        model.check_well_formed()
        return model

    def check_well_formed(self) -> None:
        """Reject a malformed model with one clear message (ModelError)."""
        names = [v.name for v in self.variables]
        if len(set(names)) != len(names):
            raise ModelError(f"model {self.name}: duplicate state variable names")
        actions = [a.name for a in self.actions]
        dupes = {n for n in actions if actions.count(n) > 1}
        if dupes:
            raise ModelError(f"model {self.name}: duplicate action names {sorted(dupes)}")
        known = set(names)
        for a in self.actions:
            if a.actor not in self.actor_index:
                raise ModelError(f"action {a.name}: unknown actor {a.actor!r}")
            used = variables(self.guarded(a))
            for target, value in a.effect:
                if target not in known:
                    raise ModelError(f"action {a.name}: assigns unknown variable {target!r}")
                used |= variables(value)
            if used - known:
                raise ModelError(f"action {a.name}: reads unknown variables {sorted(used - known)}")
            if not a.qemu:
                raise ModelError(f"action {a.name}: names no QEMU function")
        for w in self.waits:
            if w.pc_var not in known or variables(w.until) - known:
                raise ModelError(f"wait of {w.actor} at {w.pc}: unknown variable")


class ModelError(ValueError):
    """A model that the engines cannot read."""


# ---------------------------------------------------------------- versions as differences


class Change:
    def apply(self, model: Model) -> Model:  # pragma: no cover - interface
        raise NotImplementedError


@dataclass(frozen=True)
class ReplaceAction(Change):
    """Change some fields of one action (guard, effect, qemu, doc, reply, events)."""

    name: str
    fields: Mapping[str, object]
    why: str

    def apply(self, model: Model) -> Model:
        model.action(self.name)  # raises KeyError for an unknown name
        actions = tuple(
            replace(a, **self.fields) if a.name == self.name else a for a in model.actions
        )
        return replace(model, actions=actions)


@dataclass(frozen=True)
class RemoveAction(Change):
    name: str
    why: str

    def apply(self, model: Model) -> Model:
        model.action(self.name)
        return replace(model, actions=tuple(a for a in model.actions if a.name != self.name))


@dataclass(frozen=True)
class AddActions(Change):
    actions: tuple[Action, ...]
    why: str

    def apply(self, model: Model) -> Model:
        return replace(model, actions=model.actions + self.actions)


@dataclass(frozen=True)
class AddVariables(Change):
    variables: tuple[StateVar, ...]
    why: str

    def apply(self, model: Model) -> Model:
        return replace(model, variables=model.variables + self.variables)


@dataclass(frozen=True)
class DropAssumption(Change):
    name: str
    why: str

    def apply(self, model: Model) -> Model:
        if self.name not in {a.name for a in model.assumptions}:
            raise ModelError(f"no assumption named {self.name!r} in {model.name}")
        kept = tuple(a for a in model.assumptions if a.name != self.name)
        return replace(model, assumptions=kept)


@dataclass(frozen=True)
class AddAssumption(Change):
    assumption: Assumption
    why: str

    def apply(self, model: Model) -> Model:
        return replace(model, assumptions=model.assumptions + (self.assumption,))


@dataclass(frozen=True)
class SetValidEnd(Change):
    valid_end: Expr
    why: str

    def apply(self, model: Model) -> Model:
        return replace(model, valid_end=self.valid_end)


def sets(**assignments: object) -> tuple[tuple[str, Expr], ...]:
    """Effect helper: `sets(src_state=MigrationStatus.PAUSED, rp_sem=Var('rp_sem') + 1)`."""
    return tuple((name, lift(value)) for name, value in assignments.items())


def v(name: str) -> Var:
    return Var(name)


@dataclass(frozen=True)
class DropAssignment(Change):
    """Remove the assignment of `var` from the named actions (e.g. a kick a version lacks)."""

    actions: tuple[str, ...]
    var: str
    why: str

    def apply(self, model: Model) -> Model:
        for name in self.actions:
            model.action(name)
        out = []
        for a in model.actions:
            if a.name in self.actions:
                kept = tuple((t, e) for t, e in a.effect if t != self.var)
                if len(kept) == len(a.effect):
                    raise ModelError(f"action {a.name} does not assign {self.var}")
                a = replace(a, effect=kept)
            out.append(a)
        return replace(model, actions=tuple(out))


@dataclass(frozen=True)
class ExtendEffect(Change):
    """Add assignments to an action's effect (an assignment to an already-assigned variable
    replaces it).  `effect` may read the action's own assignments' targets only as before."""

    name: str
    effect: tuple[tuple[str, Expr], ...]
    why: str

    def apply(self, model: Model) -> Model:
        model.action(self.name)
        out = []
        for a in model.actions:
            if a.name == self.name:
                new = dict(a.effect)
                new.update(dict(self.effect))
                a = replace(a, effect=tuple(new.items()))
            out.append(a)
        return replace(model, actions=tuple(out))


@dataclass(frozen=True)
class StrengthenGuard(Change):
    """Conjoin a condition to an action's guard."""

    name: str
    condition: Expr
    why: str

    def apply(self, model: Model) -> Model:
        model.action(self.name)
        actions = tuple(replace(a, guard=all_of(a.guard, self.condition))
                        if a.name == self.name else a for a in model.actions)
        return replace(model, actions=actions)


@dataclass(frozen=True)
class AddActors(Change):
    actors: tuple[Actor, ...]
    why: str

    def apply(self, model: Model) -> Model:
        return replace(model, actors=model.actors + self.actors)


@dataclass(frozen=True)
class AddWaits(Change):
    waits: tuple[Wait, ...]
    why: str

    def apply(self, model: Model) -> Model:
        return replace(model, waits=model.waits + self.waits)
