"""Static ranges of integer assignments: which ones provably stay inside their domain.

An assignment whose value the intervals below cannot keep inside the variable's domain gets a
run-time check in the explorer's generated code (and a proof obligation in z3), so a model
that would drive a counter out of its domain is reported with a trace instead of explored
silently.  The analysis is deliberately simple: intervals, refined by the guard's top-level
comparisons of a variable (or a tuple element) with a constant, and `min` written as
`a if a <= b else b`.  What it cannot show is checked at run time, so it can only cost speed,
never soundness.
"""

from __future__ import annotations

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
    Sub,
    Tuple,
    Var,
)
from migcheck.checker.spec import Action, Domain, IntDomain, Model, TupleDomain, scalar

Interval = tuple[int, int]


def unchecked(model: Model, action: Action) -> list[tuple[str, Interval]]:
    """The action's integer assignments (variable, domain bounds) that need a run-time check."""
    known = _refinements(model, model.guarded(action))
    out = []
    for target, value in action.effect:
        dom = scalar(model.var(target).domain)
        if not isinstance(dom, IntDomain):
            continue
        spans = _positions(model, value, known)
        if any(s is None or s[0] < dom.lo or s[1] > dom.hi for s in spans):
            out.append((target, (dom.lo, dom.hi)))
    return out


def _domain_span(domain: Domain) -> Interval | None:
    dom = scalar(domain)
    return (dom.lo, dom.hi) if isinstance(dom, IntDomain) else None


def _positions(model: Model, node: Expr, known: dict[Expr, Interval]) -> list[Interval | None]:
    """Per scalar position of `node`'s value (one for a scalar), its interval (None: unknown)."""
    match node:
        case Tuple(items=items):
            return [_span(model, i, known) for i in items]
        case Const(value=tuple() as values):
            return [(v, v) if isinstance(v, int) else None for v in values]
        case Var(name=n) if isinstance(model.var(n).domain, TupleDomain):
            dom = model.var(n).domain
            return [_domain_span(dom)] * dom.size  # type: ignore[union-attr]
        case Ite(then=t, other=o):
            a, b = _positions(model, t, known), _positions(model, o, known)
            if len(a) != len(b):
                return [None]
            return [_join(x, y) for x, y in zip(a, b, strict=True)]
    return [_span(model, node, known)]


def _span(model: Model, node: Expr, known: dict[Expr, Interval]) -> Interval | None:
    if node in known:
        return known[node]
    match node:
        case Const(value=bool()):
            return None
        case Const(value=int() as v):
            return (v, v)
        case Var(name=n):
            return _domain_span(model.var(n).domain)
        case Index(tup=Var(name=n)):
            return _domain_span(model.var(n).domain)
        case Add(left=a, right=b):
            x, y = _span(model, a, known), _span(model, b, known)
            return (x[0] + y[0], x[1] + y[1]) if x and y else None
        case Sub(left=a, right=b):
            x, y = _span(model, a, known), _span(model, b, known)
            return (x[0] - y[1], x[1] - y[0]) if x and y else None
        case Ite(cond=Le(left=a, right=b), then=t, other=o) if (t, o) == (a, b):
            x, y = _span(model, a, known), _span(model, b, known)  # min(a, b)
            return (min(x[0], y[0]), min(x[1], y[1])) if x and y else None
        case Ite(then=t, other=o):
            return _join(_span(model, t, known), _span(model, o, known))
    return None


def _join(a: Interval | None, b: Interval | None) -> Interval | None:
    return (min(a[0], b[0]), max(a[1], b[1])) if a and b else None


def _refinements(model: Model, guard: Expr) -> dict[Expr, Interval]:
    """Bounds the guard's top-level conjuncts put on variables and tuple elements."""
    out: dict[Expr, Interval] = {}
    parts = guard.args if isinstance(guard, And) else (guard,)

    def narrow(term: Expr, lo: int | None, hi: int | None) -> None:
        base = out.get(term) or _span(model, term, {})
        if base is None:
            return
        out[term] = (max(base[0], lo) if lo is not None else base[0],
                     min(base[1], hi) if hi is not None else base[1])

    for part in parts:
        match part:
            case Lt(left=Var() | Index() as x, right=Const(value=int() as c)):
                narrow(x, None, c - 1)
            case Lt(left=Const(value=int() as c), right=Var() | Index() as x):
                narrow(x, c + 1, None)
            case Le(left=Var() | Index() as x, right=Const(value=int() as c)):
                narrow(x, None, c)
            case Le(left=Const(value=int() as c), right=Var() | Index() as x):
                narrow(x, c, None)
            case Eq(left=Var() | Index() as x, right=Const(value=int() as c)) \
                    if not isinstance(c, bool):
                narrow(x, c, c)
    return out
