"""Translate a Model's expression trees into z3 terms: states, initial state, transitions.

Nothing here knows the protocol: it walks the same `migcheck.checker.expr` trees the explorer
compiles.  Encoding choices:

* booleans are z3 Bools; ints and enum members are z3 Ints (an enum member is its position in
  the enum, as in the explorer), so a decoded z3 state is exactly an explorer state tuple;
* a tuple-valued variable is a Python tuple of per-slot terms (flattened, as deep as needed);
* a variable whose `role` is "bound" (the failures counter) is, in *abstract* mode, dropped
  from the state: every read of it in a step sees a fresh value >= its lower bound, and
  assignments to it are ignored.  Every concrete run, for every bound K, is then a run of the
  abstract system, so whatever is proved of the abstract system holds for all K.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import z3

from migcheck.checker.expr import (
    Add,
    And,
    Const,
    Eq,
    Expr,
    Index,
    Ite,
    Le,
    Lt,
    Not,
    Or,
    Sub,
    Tuple,
    Var,
    variables,
)
from migcheck.checker.spec import (
    Action,
    BoolDomain,
    Domain,
    EnumDomain,
    IntDomain,
    Model,
    TupleDomain,
)

Value = z3.ExprRef | tuple  # a scalar term, or a (nested) tuple of them
State = dict[str, Value]

BOUND_ROLE = "bound"


class EncodeError(ValueError):
    """An expression the encoder cannot translate (a model/encoder mismatch)."""


WIDTH = 6  # bit-vector width in "bv" mode (signed); Encoder widens it for larger domains


def number(value: int, bv: int) -> z3.ArithRef:
    """A numeral: a signed bit-vector of width `bv`, or an unbounded Int when bv == 0."""
    return z3.BitVecVal(value, bv) if bv else z3.IntVal(value)  # type: ignore[return-value]


def width_for(model: Model) -> int:
    """Signed bits for every domain value with room for a few +1/-1 steps beyond it (values
    leaving the domain are then still exact; the proofs show they never do)."""
    largest = 1
    for v in model.variables:
        dom = v.domain
        while isinstance(dom, TupleDomain):
            dom = dom.elem
        if isinstance(dom, IntDomain):
            largest = max(largest, abs(dom.lo), abs(dom.hi))
        elif isinstance(dom, EnumDomain):
            largest = max(largest, len(dom.members))
    return max(WIDTH, largest.bit_length() + 3)


def const_value(value: object, bv: int = 0) -> Value:
    if isinstance(value, bool):
        return z3.BoolVal(value)
    if isinstance(value, int):
        return number(value, bv)
    if isinstance(value, tuple):
        return tuple(const_value(v, bv) for v in value)
    raise EncodeError(f"cannot encode constant {value!r}")


def equal(a: Value, b: Value) -> z3.BoolRef:
    if isinstance(a, tuple) or isinstance(b, tuple):
        if not (isinstance(a, tuple) and isinstance(b, tuple)) or len(a) != len(b):
            raise EncodeError("comparing a tuple with a value of another shape")
        return z3.And(*(equal(x, y) for x, y in zip(a, b, strict=True)))
    return a == b


def choose(cond: z3.BoolRef, a: Value, b: Value) -> Value:
    if isinstance(a, tuple) or isinstance(b, tuple):
        if not (isinstance(a, tuple) and isinstance(b, tuple)) or len(a) != len(b):
            raise EncodeError("if-then-else over values of different shapes")
        return tuple(choose(cond, x, y) for x, y in zip(a, b, strict=True))
    return z3.If(cond, a, b)


def leaves(value: Value) -> list[z3.ExprRef]:
    if isinstance(value, tuple):
        return [leaf for v in value for leaf in leaves(v)]
    return [value]


@dataclass(frozen=True)
class Slot:
    """One scalar position of the state: variable name, index path into tuples, domain."""

    var: str
    path: tuple[int, ...]
    domain: Domain

    @property
    def label(self) -> str:
        return self.var + "".join(f"[{i}]" for i in self.path)

    def values(self) -> tuple:
        """The encoded values of this slot's domain."""
        return tuple(self.domain.encode(v) for v in self.domain.values())


def _slots(name: str, domain: Domain, path: tuple[int, ...] = ()) -> list[Slot]:
    if isinstance(domain, TupleDomain):
        return [s for i in range(domain.size) for s in _slots(name, domain.elem, path + (i,))]
    return [Slot(name, path, domain)]


def _fresh(name: str, domain: Domain, bv: int) -> Value:
    if isinstance(domain, TupleDomain):
        return tuple(_fresh(f"{name}[{i}]", domain.elem, bv) for i in range(domain.size))
    if isinstance(domain, BoolDomain):
        return z3.Bool(name)
    return z3.BitVec(name, bv) if bv else z3.Int(name)


@dataclass
class Step:
    """The terms of one transition: its constraint, the chosen action and the havoc reads."""

    relation: z3.BoolRef
    action: z3.ArithRef
    havoc: dict[str, z3.ArithRef] = field(default_factory=dict)


class Encoder:
    """z3 encoding of one model, concrete (bound variables kept) or abstract (dropped)."""

    def __init__(self, model: Model, abstract: bool = False, bv: bool = True):
        self.model = model
        self.abstract = abstract
        self.bv = width_for(model) if bv else 0  # bit-vectors solve much faster than Ints
        self.bound = ({v.name for v in model.variables if v.role == BOUND_ROLE}
                      if abstract else set())
        self.kept = tuple(v for v in model.variables if v.name not in self.bound)
        self.slots = tuple(s for v in self.kept for s in _slots(v.name, v.domain))

    # ---------------------------------------------------------------- states
    def state(self, tag: str) -> State:
        return {v.name: _fresh(f"{v.name}@{tag}", v.domain, self.bv) for v in self.kept}

    def havoc(self, tag: str) -> dict[str, z3.ArithRef]:
        """Fresh values for the bound variables' reads in one state (abstract mode)."""
        return {name: _fresh(f"{name}?{tag}", IntDomain(0, 0), self.bv)  # type: ignore[misc]
                for name in sorted(self.bound)}

    def havoc_ok(self, havoc: dict[str, z3.ArithRef]) -> z3.BoolRef:
        lows = []
        for name, term in havoc.items():
            dom = self.model.var(name).domain
            low = number(dom.lo, self.bv) if isinstance(dom, IntDomain) else None
            lows.append(term >= low if low is not None else z3.BoolVal(True))
        return z3.And(*lows)

    def init(self, s: State) -> z3.BoolRef:
        return z3.And(*(equal(s[v.name], const_value(v.domain.encode(v.init), self.bv))
                        for v in self.kept))

    def slot_terms(self, s: State) -> list[z3.ExprRef]:
        return [leaf for v in self.kept for leaf in leaves(s[v.name])]

    def same(self, s: State, t: State) -> z3.BoolRef:
        return z3.And(*(equal(s[v.name], t[v.name]) for v in self.kept))

    # ---------------------------------------------------------------- expressions
    def value(self, node: Expr, env: dict[str, Value]) -> Value:
        """The term of `node` where variables take their values from `env`."""
        match node:
            case Const(value=v):
                return const_value(self.model.code(v), self.bv)
            case Var(name=n):
                if n not in env:
                    raise EncodeError(f"unknown variable {n!r}")
                return env[n]
            case Eq(left=a, right=b):
                return equal(self.value(a, env), self.value(b, env))
            case Lt(left=a, right=b):
                return self.value(a, env) < self.value(b, env)  # type: ignore[operator]
            case Le(left=a, right=b):
                return self.value(a, env) <= self.value(b, env)  # type: ignore[operator]
            case Not(arg=a):
                return z3.Not(self.value(a, env))
            case And(args=args):
                return z3.And(*(self.value(a, env) for a in args))
            case Or(args=args):
                return z3.Or(*(self.value(a, env) for a in args))
            case Add(left=a, right=b):
                return self.value(a, env) + self.value(b, env)  # type: ignore[operator]
            case Sub(left=a, right=b):
                return self.value(a, env) - self.value(b, env)  # type: ignore[operator]
            case Ite(cond=c, then=t, other=o):
                return choose(self.value(c, env), self.value(t, env), self.value(o, env))
            case Tuple(items=items):
                return tuple(self.value(i, env) for i in items)
            case Index(tup=t, index=i):
                tup = self.value(t, env)
                if not isinstance(tup, tuple) or not 0 <= i < len(tup):
                    raise EncodeError(f"index {i} out of range in {node!r}")
                return tup[i]
        raise EncodeError(f"not an expression node: {node!r}")

    def env(self, s: State, havoc: dict[str, z3.ArithRef] | None = None,
            after: State | None = None) -> dict[str, Value]:
        """Variable bindings: the state, the havocked bound reads, and next_x for `after`."""
        env: dict[str, Value] = dict(s)
        if havoc:
            env.update(havoc)
        if after is not None:
            env.update({f"next_{k}": v for k, v in after.items()})
        return env

    def holds(self, node: Expr, s: State, havoc: dict | None = None,
              after: State | None = None) -> z3.BoolRef:
        return self.value(node, self.env(s, havoc, after))  # type: ignore[return-value]

    def reads_bound(self, node: Expr) -> bool:
        names = variables(node)
        return bool(names & self.bound) or any(
            n.startswith("next_") and n[5:] in self.bound for n in names)

    # ---------------------------------------------------------------- actions
    def guard(self, action: Action, s: State, havoc: dict | None = None) -> z3.BoolRef:
        return self.holds(self.model.guarded(action), s, havoc)

    def effect(self, action: Action, s: State, havoc: dict | None = None) -> State:
        """The state after `action` (unassigned variables keep their value)."""
        env = self.env(s, havoc)
        out = dict(s)
        for target, expr in action.effect:
            if target in self.bound:
                continue
            out[target] = self.value(expr, env)
        return out

    def moves(self, action: Action, s: State, havoc: dict | None = None) -> z3.BoolRef:
        """`action` is enabled and changes the state (a self-loop is not a move)."""
        after = self.effect(action, s, havoc)
        changed = [z3.Not(equal(s[t], after[t])) for t, _ in action.effect if t in after]
        return z3.And(self.guard(action, s, havoc), z3.Or(*changed) if changed else False)

    def fair_moves(self, s: State, havoc: dict | None = None) -> z3.BoolRef:
        """Some weakly fair actor (a thread) can make a move."""
        return z3.Or(*(self.moves(a, s, havoc) for a in self.model.actions
                       if self.model.actor(a.actor).fair))

    def step(self, s: State, t: State, tag: str, stutter: bool = False) -> Step:
        """One transition s -> t by any action (a self-loop keeps t == s).

        Functional form: `action@tag` picks the action; each variable of t is an if-then-else
        over the actions that assign it, so z3 propagates values instead of searching.  With
        `stutter`, action number len(actions) is "nothing happens" (t == s), so a state with
        no enabled action still has a step (needed when a query asks about s alone)."""
        sel = (z3.BitVec(f"action@{tag}", 16) if self.bv else z3.Int(f"action@{tag}"))
        havoc = self.havoc(tag) if self.bound else {}
        env = self.env(s, havoc)
        guards = []
        nxt: dict[str, Value] = dict(s)
        for k, action in reversed(list(enumerate(self.model.actions))):
            guards.append(z3.And(sel == k, self.guard(action, s, havoc)))
            for target, expr in action.effect:
                if target not in self.bound:
                    nxt[target] = choose(sel == k, self.value(expr, env), nxt[target])
        if stutter:
            guards.append(sel == len(self.model.actions))
        last = len(self.model.actions) + (1 if stutter else 0)
        parts = [sel >= 0, sel < last, self.havoc_ok(havoc), z3.Or(*guards)]
        parts += [equal(t[v.name], nxt[v.name]) for v in self.kept]
        return Step(z3.And(*parts), sel, havoc)

    # ---------------------------------------------------------------- models back
    def decode(self, m: z3.ModelRef, s: State) -> tuple:
        """A z3 model's state as an explorer state tuple (bound variables kept as 0 / lo)."""
        out = []
        for v in self.model.variables:
            if v.name in self.bound:
                dom = v.domain
                out.append(dom.lo if isinstance(dom, IntDomain) else 0)
                continue
            out.append(_decode(m, s[v.name]))
        return tuple(out)


def _decode(m: z3.ModelRef, value: Value) -> object:
    if isinstance(value, tuple):
        return tuple(_decode(m, v) for v in value)
    got = m.eval(value, model_completion=True)
    if z3.is_bool(got):
        return z3.is_true(got)
    if z3.is_bv_value(got):
        return got.as_signed_long()
    return got.as_long()
