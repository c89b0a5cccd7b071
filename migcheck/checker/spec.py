"""The shape every protocol model has: typed state variables and guarded actions.

A model is data.  The application fills these classes with its protocol's names; the engines
(`compile`, `explore`, the z3 encoder, the Hypothesis rules, trace validation) only read them
and never mention a protocol name themselves.  Models are built and changed with the edits of
`migcheck.checker.edit`; `wellformed.check_model` rejects a malformed one with one clear
message.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cached_property

from migcheck.checker.expr import TRUE, And, Const, Eq, Expr, Or, Symbol, Var, all_of, symbol


class ModelError(ValueError):
    """A model that the engines cannot read (a designer's mistake): one line for the user."""


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
        return int(value)  # type: ignore[call-overload]

    def decode(self, code: object) -> object:
        return code


class EnumDomain:
    """Members of a kind of symbol, stored as their position (members are only ever appended,
    so a widened kind keeps every old member's code).

    `EnumDomain(SomeEnum)` takes an enum class's members; `EnumDomain("Kind", members)` takes
    symbols (or enum members) directly."""

    __slots__ = ("kind", "members", "_index")

    def __init__(self, source: type[enum.Enum] | str, members: Iterable[object] = ()) -> None:
        if isinstance(source, str):
            kind, syms = source, tuple(symbol(m) for m in members)
        else:
            kind, syms = source.__name__, tuple(symbol(m) for m in source)
        for s in syms:
            if not isinstance(s, Symbol) or s.kind != kind:
                raise ModelError(f"{s!r} is not a member of {kind}")
        self.kind: str = kind
        self.members: tuple[Symbol, ...] = syms  # type: ignore[assignment]
        self._index = {s.name: i for i, s in enumerate(self.members)}
        if len(self._index) != len(syms):
            raise ModelError(f"{kind}: duplicate member names")

    def __eq__(self, other: object) -> bool:
        return (isinstance(other, EnumDomain)
                and (self.kind, self.members) == (other.kind, other.members))

    def __hash__(self) -> int:
        return hash((self.kind, self.members))

    def __repr__(self) -> str:
        return f"EnumDomain({self.kind!r}, {len(self.members)} members)"

    def values(self) -> tuple:
        return self.members

    def widened(self, extra: Iterable[Symbol]) -> EnumDomain:
        return EnumDomain(self.kind, self.members + tuple(extra))

    def index(self, name: str) -> int | None:
        return self._index.get(name)

    def encode(self, value: object) -> object:
        sym = symbol(value)
        code = (self._index.get(sym.name)
                if isinstance(sym, Symbol) and sym.kind == self.kind else None)
        if code is None:
            raise ModelError(f"{sym!r} is not a member of {self.kind}")
        return code

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
        return tuple(self.elem.encode(v) for v in value)  # type: ignore[attr-defined]

    def decode(self, code: object) -> object:
        return tuple(self.elem.decode(c) for c in code)  # type: ignore[attr-defined]


Domain = BoolDomain | IntDomain | EnumDomain | TupleDomain


def scalar(domain: Domain) -> Domain:
    """The element domain under any tuple nesting."""
    while isinstance(domain, TupleDomain):
        domain = domain.elem
    return domain


# ---------------------------------------------------------------- model pieces


class ActorKind(enum.Enum):
    THREAD = "thread"  # a thread of the implementation: weakly fair
    ENV = "env"  # the environment (a network): never obliged to act
    ADMIN = "operator"  # the operator issuing commands: never obliged to act


@dataclass(frozen=True)
class Queue:
    """A bounded FIFO of messages held in a fixed-size tuple (`migcheck.checker.fifo`): slots
    fill from the left and `empty` marks a free one.  Messages travel from `sender` to
    `receiver` (sides, or lanes); traces write the queue as the list of its messages."""

    empty: object
    sender: str
    receiver: str


@dataclass(frozen=True)
class StateVar:
    name: str
    domain: Domain
    init: object
    doc: str
    lane: str  # the thread / channel / admin column a viewer shows it in
    event: str | None = None  # a side name: a change emits an event (the value's label) there
    role: str | None = None  # "bound": a counter that only limits the check (prove drops it)
    queue: Queue | None = None  # a message channel: a FIFO in a tuple of slots


@dataclass(frozen=True)
class Actor:
    name: str
    kind: ActorKind
    side: str  # where it lives (a machine, the network, the operator)
    doc: str
    label: str = ""  # the implementation's own name for it (a thread name), where it has one
    pc: str | None = None  # sequential: the variable holding its program point

    @property
    def fair(self) -> bool:
        return self.kind is ActorKind.THREAD


@dataclass(frozen=True)
class Call:
    """A request an operator issues: target (a side), command name and arguments."""

    target: str
    name: str
    args: tuple[tuple[str, object], ...] = ()

    def flags(self) -> frozenset[str]:
        """The boolean arguments that are true, as `key=true`."""
        return frozenset(f"{k}=true" for k, v in self.args if v is True)

    def describe(self) -> str:
        words = [f"{k}={'true' if v is True else v}" for k, v in self.args]
        return " ".join([f"{self.target}: {self.name}", *words])


@dataclass(frozen=True)
class Action:
    """One atomic step: when the guard holds, `actor` may perform `effect` (all at once).

    `guard` is the action's own condition; `strengthened` holds the conjuncts other layers
    added (with the layer's name), so a later change of the guard keeps them.  `origin` names
    the layer behind the guard and behind each assignment (what `models --show` prints)."""

    name: str
    actor: str
    guard: Expr
    effect: tuple[tuple[str, Expr], ...]
    cites: str  # "file.c:function" of the implementation the step stands for
    doc: str = ""
    call: Call | None = None  # the operator's command, for admin actions
    reply: str | None = None  # None = accepted; otherwise the error reply's text
    events: tuple[tuple[str, str], ...] = ()  # events emitted besides state changes
    source: tuple[str, int] = ("", 0)  # where the action is written
    strengthened: tuple[tuple[Expr, str], ...] = ()
    origin: tuple[tuple[str, str], ...] = ()  # (part, layer): part is "guard" or a variable
    touched: tuple[tuple[str, str, tuple[str, int]], ...] = ()  # (layer, why, where) edits

    @property
    def refused(self) -> bool:
        return self.reply is not None

    @property
    def full_guard(self) -> Expr:
        return all_of(self.guard, *(g for g, _ in self.strengthened))

    def assigned(self, var: str) -> Expr | None:
        return next((e for t, e in self.effect if t == var), None)


@dataclass(frozen=True)
class Wait:
    """A blocking point: a thread at `pc_var == pc` sleeps until `until` holds.

    `on` names what it waits for (a semaphore, or "join(<thread>)")."""

    actor: str
    pc_var: str
    pc: object
    on: str
    until: Expr
    cites: str

    def at(self) -> Expr:
        return Var(self.pc_var).eq(self.pc)


@dataclass(frozen=True)
class Assumption:
    """A named restriction on the environment or the operator, conjoined into some guards.

    Assumptions are how a check scopes itself; every run prints those in force."""

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
    valid_end: Expr = TRUE  # states where no thread may step without it being a deadlock
    params: Mapping[str, object] = field(default_factory=dict)
    bounds: tuple[str, ...] = ()  # prose for each finite bound the model imposes
    meta: Mapping[str, object] = field(default_factory=dict)  # the application's annotations
    layers: tuple[str, ...] = ()  # the layers composed into it, in order

    @cached_property
    def var_index(self) -> dict[str, int]:
        return {v.name: i for i, v in enumerate(self.variables)}

    @cached_property
    def actor_index(self) -> dict[str, int]:
        return {a.name: i for i, a in enumerate(self.actors)}

    @cached_property
    def action_index(self) -> dict[str, int]:
        return {a.name: i for i, a in enumerate(self.actions)}

    @cached_property
    def kinds(self) -> dict[str, EnumDomain]:
        """Every kind of symbol the variables hold, with its members (one list per kind)."""
        out: dict[str, EnumDomain] = {}
        for v in self.variables:
            dom = scalar(v.domain)
            if isinstance(dom, EnumDomain) and out.setdefault(dom.kind, dom) != dom:
                raise ModelError(f"model {self.name}: variables disagree on the members of"
                                 f" {dom.kind}")
        return out

    def code(self, value: object) -> object:
        """A constant as the engines store it: a symbol is its position in its kind."""
        value = symbol(value)
        if isinstance(value, Symbol):
            dom = self.kinds.get(value.kind)
            index = dom.index(value.name) if dom is not None else None
            if index is None:
                raise ModelError(f"model {self.name}: {value!r} is not a member of"
                                 f" {value.kind}")
            return index
        if isinstance(value, tuple):
            return tuple(self.code(v) for v in value)
        return value

    def var(self, name: str) -> StateVar:
        return self.variables[self.var_index[name]]

    def actor(self, name: str) -> Actor:
        return self.actors[self.actor_index[name]]

    def action(self, name: str) -> Action:
        index = self.action_index.get(name)
        if index is None:
            raise ModelError(f"model {self.name} has no action {name!r}")
        return self.actions[index]

    def actors_of(self, *kinds: ActorKind) -> frozenset[str]:
        return frozenset(a.name for a in self.actors if a.kind in kinds)

    def guarded(self, action: Action) -> Expr:
        """The action's full guard with every assumption that restricts it."""
        extra = [a.guard for a in self.assumptions if a.applies_to(action.name)]
        return all_of(action.full_guard, *extra)

    def initial(self) -> tuple:
        return tuple(v.domain.encode(symbol(v.init)) for v in self.variables)

    def decode(self, state: tuple) -> dict[str, object]:
        return {v.name: v.domain.decode(c) for v, c in zip(self.variables, state, strict=True)}

    def program_points(self, action: Action) -> tuple[tuple[object, ...], object | None]:
        """For an action of a sequential actor: the program points it starts from (read off
        its guard's `pc == point` conjuncts) and the one it goes to (None: it stays)."""
        pc = self.actor(action.actor).pc
        if pc is None:
            return (), None
        starts: tuple[object, ...] = ()
        for part in _conjuncts(action.full_guard):
            found = _points(part, pc)
            if found:
                starts = found
                break
        target = action.assigned(pc)
        return starts, (target.value if isinstance(target, Const) else None)


def _conjuncts(guard: Expr) -> tuple[Expr, ...]:
    return guard.args if isinstance(guard, And) else (guard,)


def _points(part: Expr, pc: str) -> tuple[object, ...]:
    """The constants `part` allows `pc` to be (`pc == c`, or a disjunction of them)."""
    if isinstance(part, Eq) and part.left == Var(pc) and isinstance(part.right, Const):
        return (part.right.value,)
    if isinstance(part, Or):
        found = [_points(a, pc) for a in part.args]
        if all(found):
            return tuple(p for f in found for p in f)
    return ()
