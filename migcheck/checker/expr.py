"""A tiny expression language for guards and effects.

The protocol model is written once, as data.  Guards and effects are trees of the nodes below,
so every engine can read them: the explorer compiles them to Python source (fast), the z3
encoder translates the same trees to z3 terms, and the views print them.  The language is
deliberately small: constants, variables, comparisons, boolean connectives, small-integer
arithmetic, if-then-else, and fixed-size tuples with constant indices.

Values are plain Python ints, bools and symbols.  A symbol is a member of a named, open set of
names (a `Symbol`: kind, name and the label observers see); a Python `enum.Enum` member is
taken as the symbol of its class, so model files can use enums while a designer's file can add
members to a kind without editing them.  Engines encode a symbol as its position among its
kind's members in the model (`Model.code`), so states are tuples of small ints.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class Symbol:
    """One member of an open set of names (a MigrationStatus, a thread's program point, ...)."""

    kind: str
    name: str
    label: str = field(default="", compare=False, hash=False)

    def __repr__(self) -> str:
        return f"{self.kind}.{self.name}"

    def __str__(self) -> str:
        return self.name


def symbol(value: object) -> object:
    """Enum members (also inside tuples) become Symbols; other values pass through."""
    if isinstance(value, enum.Enum):
        return Symbol(type(value).__name__, value.name, str(value.value))
    if isinstance(value, tuple):
        return tuple(symbol(v) for v in value)
    return value


Value = int | bool | Symbol


class Expr:
    """Base class: operator sugar that builds nodes (`==` is left alone; use `.eq`)."""

    __slots__ = ()

    def eq(self, other: object) -> Expr:
        return Eq(self, lift(other))

    def ne(self, other: object) -> Expr:
        return Not(Eq(self, lift(other)))

    def isin(self, *values: object) -> Expr:
        return any_of(*(Eq(self, lift(v)) for v in values))

    def __and__(self, other: object) -> Expr:
        return all_of(self, lift(other))

    def __or__(self, other: object) -> Expr:
        return any_of(self, lift(other))

    def __invert__(self) -> Expr:
        return Not(self)

    def __add__(self, other: object) -> Expr:
        return Add(self, lift(other))

    def __sub__(self, other: object) -> Expr:
        return Sub(self, lift(other))

    def __lt__(self, other: object) -> Expr:
        return Lt(self, lift(other))

    def __le__(self, other: object) -> Expr:
        return Le(self, lift(other))

    def __gt__(self, other: object) -> Expr:
        return Lt(lift(other), self)

    def __ge__(self, other: object) -> Expr:
        return Le(lift(other), self)

    def __getitem__(self, index: int) -> Expr:
        return Index(self, index)


@dataclass(frozen=True, slots=True, eq=True)
class Const(Expr):
    value: Value | tuple

    def __post_init__(self) -> None:
        object.__setattr__(self, "value", symbol(self.value))


@dataclass(frozen=True, slots=True, eq=True)
class Var(Expr):
    name: str


@dataclass(frozen=True, slots=True, eq=True)
class Eq(Expr):
    left: Expr
    right: Expr


@dataclass(frozen=True, slots=True, eq=True)
class Lt(Expr):
    left: Expr
    right: Expr


@dataclass(frozen=True, slots=True, eq=True)
class Le(Expr):
    left: Expr
    right: Expr


@dataclass(frozen=True, slots=True, eq=True)
class Not(Expr):
    arg: Expr


@dataclass(frozen=True, slots=True, eq=True)
class And(Expr):
    args: tuple[Expr, ...]


@dataclass(frozen=True, slots=True, eq=True)
class Or(Expr):
    args: tuple[Expr, ...]


@dataclass(frozen=True, slots=True, eq=True)
class Add(Expr):
    left: Expr
    right: Expr


@dataclass(frozen=True, slots=True, eq=True)
class Sub(Expr):
    left: Expr
    right: Expr


@dataclass(frozen=True, slots=True, eq=True)
class Ite(Expr):
    cond: Expr
    then: Expr
    other: Expr


@dataclass(frozen=True, slots=True, eq=True)
class Tuple(Expr):
    items: tuple[Expr, ...]


@dataclass(frozen=True, slots=True, eq=True)
class Index(Expr):
    """Element `index` (a constant) of a tuple-valued expression."""

    tup: Expr
    index: int


TRUE = Const(True)
FALSE = Const(False)


def lift(value: object) -> Expr:
    """Turn a Python value into a node (nodes pass through)."""
    if isinstance(value, Expr):
        return value
    if isinstance(value, bool | int | enum.Enum | Symbol):
        return Const(value)
    if isinstance(value, tuple):
        return Tuple(tuple(lift(v) for v in value))
    raise TypeError(f"cannot use {value!r} in a model expression")


def all_of(*args: object) -> Expr:
    flat: list[Expr] = []
    for a in (lift(x) for x in args):
        if a == TRUE:
            continue
        flat.extend(a.args if isinstance(a, And) else (a,))
    if not flat:
        return TRUE
    return flat[0] if len(flat) == 1 else And(tuple(flat))


def any_of(*args: object) -> Expr:
    flat: list[Expr] = []
    for a in (lift(x) for x in args):
        if a == FALSE:
            continue
        flat.extend(a.args if isinstance(a, Or) else (a,))
    if not flat:
        return FALSE
    return flat[0] if len(flat) == 1 else Or(tuple(flat))


def ite(cond: object, then: object, other: object) -> Expr:
    return Ite(lift(cond), lift(then), lift(other))


def min_(a: object, b: object) -> Expr:
    """min(a, b) over small ints; used to saturate counters."""
    a, b = lift(a), lift(b)
    return Ite(Le(a, b), a, b)


def variables(expr: Expr) -> set[str]:
    """The state variables an expression reads."""
    found: set[str] = set()
    stack = [expr]
    while stack:
        node = stack.pop()
        if isinstance(node, Var):
            found.add(node.name)
        else:
            stack.extend(children(node))
    return found


def children(node: Expr) -> Iterable[Expr]:
    match node:
        case Const() | Var():
            return ()
        case Not(arg=a):
            return (a,)
        case And(args=args) | Or(args=args):
            return args
        case Tuple(items=items):
            return items
        case Index(tup=t):
            return (t,)
        case Ite(cond=c, then=t, other=o):
            return (c, t, o)
        case Eq(left=a, right=b) | Lt(left=a, right=b) | Le(left=a, right=b):
            return (a, b)
        case Add(left=a, right=b) | Sub(left=a, right=b):
            return (a, b)
    raise TypeError(f"not an expression node: {node!r}")


def show(node: Expr) -> str:
    """A compact, human-readable rendering (used in docs, errors and the SARIF output)."""
    match node:
        case Const(value=v):
            return v.name if isinstance(v, Symbol) else repr(v)
        case Var(name=n):
            return n
        case Not(arg=Eq(left=a, right=b)):
            return f"{show(a)} != {show(b)}"
        case Not(arg=a):
            return f"not ({show(a)})"
        case And(args=args):
            return " and ".join(_paren(a) for a in args)
        case Or(args=args):
            return " or ".join(_paren(a) for a in args)
        case Eq(left=a, right=b):
            return f"{show(a)} == {show(b)}"
        case Lt(left=a, right=b):
            return f"{show(a)} < {show(b)}"
        case Le(left=a, right=b):
            return f"{show(a)} <= {show(b)}"
        case Add(left=a, right=b):
            return f"{show(a)} + {show(b)}"
        case Sub(left=a, right=b):
            return f"{show(a)} - {show(b)}"
        case Ite(cond=c, then=t, other=o):
            return f"({show(t)} if {show(c)} else {show(o)})"
        case Tuple(items=items):
            return "(" + ", ".join(show(i) for i in items) + ")"
        case Index(tup=t, index=i):
            return f"{show(t)}[{i}]"
    raise TypeError(f"not an expression node: {node!r}")


def _paren(node: Expr) -> str:
    text = show(node)
    return f"({text})" if isinstance(node, And | Or) else text
