"""Expressions as C-like source text: the generated C explorer and the Promela export.

Tuple-valued expressions are taken apart element by element (a tuple is never a value in the
target language): `elements(e)` gives one scalar text per element, and equality of tuples is
the conjunction of the element equalities.  Constants are written as the model encodes them
(`Model.code`); how a variable or an if-then-else is spelt is the target's choice.
"""

from __future__ import annotations

from collections.abc import Callable
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
    Tuple,
    Var,
)
from migcheck.checker.spec import Model, TupleDomain


@dataclass(frozen=True)
class CLike:
    model: Model
    var: Callable[[str, int | None], str]  # (variable, tuple element or None) -> its text
    ite: Callable[[str, str, str], str] = lambda c, t, o: f"({c} ? {t} : {o})"
    const: Callable[[object, int], str] = lambda value, code: str(code)  # (value, its code)

    def size(self, node: Expr) -> int | None:
        """The number of elements of a tuple-valued expression (None: a scalar)."""
        match node:
            case Var(name=n):
                dom = self.model.var(n).domain
                return dom.size if isinstance(dom, TupleDomain) else None
            case Const(value=tuple() as v):
                return len(v)
            case Tuple(items=items):
                return len(items)
            case Ite(then=t):
                return self.size(t)
        return None

    def elements(self, node: Expr) -> list[str]:
        match node:
            case Var(name=n):
                size = self.size(node)
                return [self.var(n, i) for i in range(size or 0)]
            case Const(value=tuple() as values):
                return [self._const(v) for v in values]
            case Tuple(items=items):
                return [self(i) for i in items]
            case Ite(cond=c, then=t, other=o):
                cond = self(c)
                return [self.ite(cond, a, b)
                        for a, b in zip(self.elements(t), self.elements(o), strict=True)]
        raise TypeError(f"not a tuple-valued expression: {node!r}")

    def _const(self, value: object) -> str:
        return self.const(value, int(self.model.code(value)))  # type: ignore[call-overload]

    def __call__(self, node: Expr) -> str:
        match node:
            case Const(value=v):
                return self._const(v)
            case Var(name=n):
                return self.var(n, None)
            case Eq(left=a, right=b) if self.size(a) is not None:
                pairs = zip(self.elements(a), self.elements(b), strict=True)
                return "(" + " && ".join(f"({x} == {y})" for x, y in pairs) + ")"
            case Eq(left=a, right=b):
                return f"({self(a)} == {self(b)})"
            case Lt(left=a, right=b):
                return f"({self(a)} < {self(b)})"
            case Le(left=a, right=b):
                return f"({self(a)} <= {self(b)})"
            case Not(arg=a):
                return f"(!{self(a)})"
            case And(args=args):
                return "(" + " && ".join(self(a) for a in args) + ")"
            case Or(args=args):
                return "(" + " || ".join(self(a) for a in args) + ")"
            case Add(left=a, right=b):
                return f"({self(a)} + {self(b)})"
            case Sub(left=a, right=b):
                return f"({self(a)} - {self(b)})"
            case Ite(cond=c, then=t, other=o):
                return self.ite(self(c), self(t), self(o))
            case Index(tup=t, index=i):
                return self.elements(t)[i]
        raise TypeError(f"cannot translate {node!r}")
