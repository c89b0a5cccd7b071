"""Compile a model's guards and effects into one Python function.

Interpreting expression trees node by node would cost a function call per node per state; the
explorer instead generates Python source for the whole next-state relation once (a flat series
of `if guard: emit(successor)`) and runs it with `exec`.  States are tuples of small ints.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property

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
from migcheck.checker.ranges import unchecked
from migcheck.checker.spec import Action, Model, TupleDomain

State = tuple


class DomainError(Exception):
    """An action assigned a value outside its variable's domain (a malformed model).  The
    explorer adds the index of the state it was expanding."""

    def __init__(self, action: int, var: str, value: object, state: int | None = None):
        super().__init__(action, var, value, state)
        self.action, self.var, self.value, self.state = action, var, value, state

    def at(self, state: int) -> DomainError:
        return DomainError(self.action, self.var, self.value, state)
Successors = Callable[[State], list[tuple[int, State]]]


class _Source:
    """Expression -> Python source text over local names s0, s1, ..."""

    def __init__(self, var_index: dict[str, int], code: Callable[[object], object]):
        self.var_index = var_index
        self.code = code

    def __call__(self, node: Expr) -> str:
        match node:
            case Const(value=v):
                return repr(self.code(v))
            case Var(name=n):
                return f"s{self.var_index[n]}"
            case Eq(left=a, right=b):
                return f"({self(a)} == {self(b)})"
            case Lt(left=a, right=b):
                return f"({self(a)} < {self(b)})"
            case Le(left=a, right=b):
                return f"({self(a)} <= {self(b)})"
            case Not(arg=a):
                return f"(not {self(a)})"
            case And(args=args):
                return "(" + " and ".join(self(a) for a in args) + ")"
            case Or(args=args):
                return "(" + " or ".join(self(a) for a in args) + ")"
            case Add(left=a, right=b):
                return f"({self(a)} + {self(b)})"
            case Sub(left=a, right=b):
                return f"({self(a)} - {self(b)})"
            case Ite(cond=c, then=t, other=o):
                return f"({self(t)} if {self(c)} else {self(o)})"
            case Tuple(items=items):
                return "(" + "".join(f"{self(i)}, " for i in items) + ")"
            case Index(tup=t, index=i):
                return f"{self(t)}[{i}]"
        raise TypeError(f"cannot compile {node!r}")


@dataclass
class CompiledModel:
    """A model plus its generated next-state function and predicate evaluators."""

    model: Model

    @cached_property
    def actions(self) -> tuple[Action, ...]:
        return self.model.actions

    @cached_property
    def action_actor(self) -> tuple[int, ...]:
        return tuple(self.model.actor_index[a.actor] for a in self.actions)

    @cached_property
    def fair_actors(self) -> tuple[int, ...]:
        return tuple(i for i, a in enumerate(self.model.actors) if a.fair)

    @cached_property
    def _src(self) -> _Source:
        return _Source(self.model.var_index, self.model.code)

    def _unpack(self) -> str:
        names = ", ".join(f"s{i}" for i in range(len(self.model.variables)))
        return f"    ({names},) = s\n"

    @cached_property
    def source_text(self) -> str:
        """The generated Python source of `successors` (kept for debugging).

        Consecutive actions whose guards share a conjunct `var == constant` (typically a
        thread's program point) are nested under one test of it, so most guards are never
        evaluated; the order of the actions, hence of successors, is unchanged."""
        lines = ["def successors(s):\n", self._unpack(), "    out = []\n",
                 "    emit = out.append\n"]
        for shared, run in self.guard_runs():
            indent = "    "
            if shared is not None:
                lines.append(f"    if {self._src(shared)}:\n")
                indent = "        "
            for k, rest in run:
                lines.append(f"{indent}if {self._src(rest)}:\n")
                lines += self._checks(k, indent + "    ")
                lines.append(f"{indent}    emit(({k}, {self._effect_source(self.actions[k])}))\n")
        lines.append("    return out\n")
        return "".join(lines)

    @cached_property
    def checked(self) -> dict[int, list[tuple[str, tuple[int, int]]]]:
        """Per action, the integer assignments static ranges cannot keep in their domain."""
        out = {}
        for k, action in enumerate(self.actions):
            risky = unchecked(self.model, action)
            if risky:
                out[k] = risky
        return out

    def _checks(self, k: int, indent: str) -> list[str]:
        """Compute each risky value once into a local, and stop if it leaves the domain."""
        lines = []
        for var, (lo, hi) in self.checked.get(k, ()):
            value = self._src(self.actions[k].assigned(var))  # type: ignore[arg-type]
            name = f"v{self.model.var_index[var]}"
            lines.append(f"{indent}{name} = {value}\n")
            test = (f"not all({lo} <= x <= {hi} for x in {name})"
                    if isinstance(self.model.var(var).domain, TupleDomain)
                    else f"not {lo} <= {name} <= {hi}")
            lines.append(f"{indent}if {test}: raise DomainError({k}, {var!r}, {name})\n")
        return lines

    def _effect_source(self, action: Action) -> str:
        if not action.effect:
            return "s"
        n = len(self.model.variables)
        k = self.model.action_index[action.name]
        checked = {var for var, _ in self.checked.get(k, ())}
        assigned = {self.model.var_index[t]: (t, e) for t, e in action.effect}
        items = [(f"v{i}" if assigned[i][0] in checked else self._src(assigned[i][1]))
                 if i in assigned else f"s{i}" for i in range(n)]
        return f"({', '.join(items)},)"

    def guard_runs(self) -> list[tuple[Expr | None, list[tuple[int, Expr]]]]:
        """Group consecutive actions by a shared `Var == Const` top-level guard conjunct."""

        def conjuncts(guard: Expr) -> list[Expr]:
            return list(guard.args) if isinstance(guard, And) else [guard]

        def keys(parts: list[Expr]) -> list[Expr]:
            return [p for p in parts
                    if isinstance(p, Eq) and isinstance(p.left, Var) and isinstance(p.right, Const)]

        runs: list[tuple[Expr | None, list[tuple[int, Expr]]]] = []
        current: set[Expr] = set()
        members: list[tuple[int, list[Expr]]] = []

        def flush() -> None:
            if not members:
                return
            shared = next((k for k in keys(members[0][1]) if k in current), None)
            if shared is None or len(members) == 1:
                runs.append((None, [(k, And(tuple(p)) if len(p) > 1 else (p[0] if p else
                                      Const(True))) for k, p in members]))
            else:
                body = []
                for k, parts in members:
                    rest = [p for p in parts if p != shared]
                    body.append((k, And(tuple(rest)) if len(rest) > 1
                                 else (rest[0] if rest else Const(True))))
                runs.append((shared, body))

        for k, action in enumerate(self.actions):
            parts = conjuncts(self.model.guarded(action))
            mine = set(keys(parts))
            if members and current & mine:
                current &= mine
                members.append((k, parts))
                continue
            flush()
            current, members = mine, [(k, parts)]
        flush()
        return runs

    @cached_property
    def successors(self) -> Successors:
        namespace: dict[str, object] = {"DomainError": DomainError}
        exec(compile(self.source_text, f"<model {self.model.name}>", "exec"), namespace)
        return namespace["successors"]  # type: ignore[return-value]

    def predicate(self, expr: Expr) -> Callable[[State], bool]:
        """Compile a state predicate (property, assumption, valid end) to a function."""
        return function_of(expr, [v.name for v in self.model.variables], self.model.code)


def function_of(expr: Expr, names: list[str],
                code: Callable[[object], object]) -> Callable[[tuple], bool]:
    """Compile `expr` into a function of one tuple holding the values of `names`, in order
    (a whole state, a projection of it, or a (before + after) pair of projections);
    `code` encodes constants (the model's `Model.code`)."""
    src = _Source({n: i for i, n in enumerate(names)}, code)
    unpack = "".join(f"s{i}, " for i in range(len(names)))
    text = f"def pred(s):\n    ({unpack}) = s\n    return {src(expr)}\n"
    namespace: dict[str, object] = {}
    exec(compile(text, "<predicate>", "exec"), namespace)
    return namespace["pred"]  # type: ignore[return-value]
