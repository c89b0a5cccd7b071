"""Is a model well formed?  Names, types and domains, checked before any engine runs.

A designer's mistake (an unknown variable, a symbol of the wrong kind, an assignment of a
boolean to a counter, a pattern that matches no action) is reported as one `ModelError`
naming the action and the part at fault, never as a traceback from deep inside an engine.
"""

from __future__ import annotations

from dataclasses import dataclass

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
    Symbol,
    Tuple,
    Var,
    show,
    symbol,
)
from migcheck.checker.spec import (
    BoolDomain,
    Domain,
    EnumDomain,
    IntDomain,
    Model,
    ModelError,
    StateVar,
    TupleDomain,
)


@dataclass(frozen=True)
class Type:
    """bool, int, a kind of symbol, or a fixed-size tuple of one element type."""

    tag: str  # "bool" | "int" | "sym" | "tuple"
    kind: str = ""  # the symbol kind, for "sym"
    elem: Type | None = None
    size: int = 0

    def __str__(self) -> str:
        if self.tag == "sym":
            return self.kind
        if self.tag == "tuple":
            return f"tuple[{self.elem}; {self.size}]"
        return self.tag


BOOL, INT = Type("bool"), Type("int")


def type_of_domain(domain: Domain) -> Type:
    if isinstance(domain, BoolDomain):
        return BOOL
    if isinstance(domain, IntDomain):
        return INT
    if isinstance(domain, EnumDomain):
        return Type("sym", domain.kind)
    return Type("tuple", elem=type_of_domain(domain.elem), size=domain.size)


class Types:
    """Infers the type of expressions over one model's variables."""

    def __init__(self, model: Model, extra: dict[str, Type] | None = None) -> None:
        self.model = model
        self.env = {v.name: type_of_domain(v.domain) for v in model.variables}
        self.env.update(extra or {})

    def of(self, node: object) -> Type:
        if not isinstance(node, Expr):
            raise ModelError(f"{node!r} is not a model expression")
        match node:
            case Const(value=v):
                return self._const(v)
            case Var(name=n):
                if n not in self.env:
                    raise ModelError(f"unknown variable {n!r}")
                return self.env[n]
            case Eq(left=a, right=b):
                ta, tb = self.of(a), self.of(b)
                if ta != tb:
                    raise ModelError(f"`{show(node)}` compares {ta} with {tb}")
                return BOOL
            case Lt(left=a, right=b) | Le(left=a, right=b):
                self._want(a, INT, node)
                self._want(b, INT, node)
                return BOOL
            case Not(arg=a):
                self._want(a, BOOL, node)
                return BOOL
            case And(args=args) | Or(args=args):
                for a in args:
                    self._want(a, BOOL, node)
                return BOOL
            case Add(left=a, right=b) | Sub(left=a, right=b):
                self._want(a, INT, node)
                self._want(b, INT, node)
                return INT
            case Ite(cond=c, then=t, other=o):
                self._want(c, BOOL, node)
                tt, to = self.of(t), self.of(o)
                if tt != to:
                    raise ModelError(f"`{show(node)}`: branches of {tt} and {to}")
                return tt
            case Tuple(items=items):
                types = {self.of(i) for i in items}
                if len(types) != 1:
                    raise ModelError(f"`{show(node)}` mixes {', '.join(map(str, types))}")
                return Type("tuple", elem=types.pop(), size=len(items))
            case Index(tup=t, index=i):
                tt = self.of(t)
                if tt.tag != "tuple" or tt.elem is None:
                    raise ModelError(f"`{show(node)}` indexes a {tt}")
                if not 0 <= i < tt.size:
                    raise ModelError(f"`{show(node)}`: index {i} outside 0..{tt.size - 1}")
                return tt.elem
        raise ModelError(f"{node!r} is not a model expression")

    def _want(self, node: Expr, want: Type, where: Expr) -> None:
        got = self.of(node)
        if got != want:
            raise ModelError(f"`{show(where)}` needs {want}, `{show(node)}` is {got}")

    def _const(self, value: object) -> Type:
        if isinstance(value, bool):
            return BOOL
        if isinstance(value, int):
            return INT
        if isinstance(value, Symbol):
            self.model.code(value)  # a member of the model's kind (raises otherwise)
            return Type("sym", value.kind)
        if isinstance(value, tuple) and value:
            types = {self._const(v) for v in value}
            if len(types) == 1:
                return Type("tuple", elem=types.pop(), size=len(value))
        raise ModelError(f"{value!r} is not a model value")


def _check_queue(var: StateVar) -> None:
    """A channel is a tuple of slots whose element domain holds its `empty` marker."""
    assert var.queue is not None
    if not isinstance(var.domain, TupleDomain):
        raise ModelError(f"state variable {var.name}: a queue must be a tuple of slots")
    try:
        var.domain.elem.encode(symbol(var.queue.empty))
    except (ModelError, TypeError, ValueError):
        raise ModelError(f"state variable {var.name}: its empty marker"
                         f" {var.queue.empty!r} is not a value of its slots") from None


def check_model(model: Model) -> Model:
    """Raise ModelError for the first problem found; return the model."""
    _unique("state variable", [v.name for v in model.variables], model)
    _unique("actor", [a.name for a in model.actors], model)
    _unique("action", [a.name for a in model.actions], model)
    model.kinds  # noqa: B018 - raises when two variables disagree on a kind's members
    types = Types(model)
    for v in model.variables:
        _check_init(v.name, v.domain, v.init)
        if v.queue is not None:
            _check_queue(v)
    for actor in model.actors:
        if actor.pc is not None and actor.pc not in model.var_index:
            raise ModelError(f"actor {actor.name}: program-point variable {actor.pc!r}"
                             " is not a state variable")
    for a in model.actions:
        where = f"action {a.name!r}"
        if a.actor not in model.actor_index:
            raise ModelError(f"{where}: unknown actor {a.actor!r}")
        if not a.cites:
            raise ModelError(f"{where}: names no implementation function (cites)")
        _typed(types, model.guarded(a), BOOL, f"{where}, guard")
        targets = [t for t, _ in a.effect]
        if len(set(targets)) != len(targets):
            raise ModelError(f"{where}: assigns a variable twice")
        for target, value in a.effect:
            if target not in model.var_index:
                raise ModelError(f"{where}: assigns unknown variable {target!r}")
            want = types.env[target]
            _typed(types, value, want, f"{where}, assignment to {target}")
        if model.actor(a.actor).pc is not None and not model.program_points(a)[0]:
            raise ModelError(f"{where}: its actor {a.actor} is sequential, but its guard does"
                             f" not test {model.actor(a.actor).pc} == <program point>")
    for w in model.waits:
        if w.actor not in model.actor_index:
            raise ModelError(f"wait on {w.on}: unknown actor {w.actor!r}")
        _typed(types, w.at(), BOOL, f"wait of {w.actor} on {w.on}")
        _typed(types, w.until, BOOL, f"wait of {w.actor} on {w.on}")
    for assumption in model.assumptions:
        _typed(types, assumption.guard, BOOL, f"assumption {assumption.name}")
        for pattern in assumption.actions:
            if not any(assumption.applies_to(a.name) and (pattern.endswith("*")
                                                           or a.name == pattern)
                       for a in model.actions):
                raise ModelError(f"assumption {assumption.name}: {pattern!r} matches no"
                                 " action")
    _typed(types, model.valid_end, BOOL, "valid end states")
    return model


def _typed(types: Types, node: object, want: Type, where: str) -> None:
    try:
        got = types.of(node)
    except ModelError as exc:
        raise ModelError(f"{where}: {exc}") from None
    if got != want:
        raise ModelError(f"{where}: expected {want}, got {got} (`{show(node)}`)"  # type: ignore[arg-type]
                         if isinstance(node, Expr) else f"{where}: expected {want}")


def _unique(what: str, names: list[str], model: Model) -> None:
    seen: set[str] = set()
    for n in names:
        if n in seen:
            raise ModelError(f"model {model.name}: two {what}s named {n!r}")
        seen.add(n)


def _check_init(name: str, domain: Domain, value: object) -> None:
    try:
        code = domain.encode(value)
    except (ModelError, TypeError, ValueError) as exc:
        raise ModelError(f"variable {name}: initial value {value!r}: {exc}") from None
    if not in_domain(domain, code):
        raise ModelError(f"variable {name}: initial value {value!r} is outside its domain")


def in_domain(domain: Domain, code: object) -> bool:
    """Is an encoded value inside the domain?"""
    if isinstance(domain, TupleDomain):
        return (isinstance(code, tuple) and len(code) == domain.size
                and all(in_domain(domain.elem, c) for c in code))
    if isinstance(domain, IntDomain):
        return isinstance(code, int) and not isinstance(code, bool) \
            and domain.lo <= code <= domain.hi
    if isinstance(domain, EnumDomain):
        return isinstance(code, int) and 0 <= code < len(domain.members)
    return isinstance(code, bool)
