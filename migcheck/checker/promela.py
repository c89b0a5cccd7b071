"""Export a model to Promela, for SPIN: the identical transition system.

One process and one loop; each action is one `d_step` (an atomic, deterministic step) whose
first statement is its guard, so SPIN's states are exactly migcheck's states and its
transitions migcheck's transitions (a refused command is a step back to the same state, as
in migcheck).  The effect is a simultaneous assignment: values that other assignments of the
same step read are computed into temporaries first (hidden variables, outside the state
vector).  Each variable takes the smallest fitting type (`unsigned x : bits` for a scalar;
an array of `bit` or `byte` for a tuple); a domain lo..hi with lo != 0 is stored as value - lo.
Symbols are `#define`d as their codes.  The state invariants are `assert`ed after every step,
and so are the assignments that migcheck checks at run time (`ranges`).

Each step starts with `printf("MIGCHECK-ACTION k")`: SPIN prints nothing during a search, and
a replay of a counterexample trail (`spin -t`) prints the actions taken, which `trail_actions`
reads back so migcheck can rebuild the trace through its own model.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from migcheck.checker.clike import CLike
from migcheck.checker.compile import CompiledModel
from migcheck.checker.expr import Expr, Symbol, variables
from migcheck.checker.kinds import Invariant
from migcheck.checker.native.layout import bounds
from migcheck.checker.spec import BoolDomain, TupleDomain, scalar

MARK = "MIGCHECK-ACTION"
HEADER = "migcheck-export:"


def _ident(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_]", "_", text)


class Promela:
    def __init__(self, compiled: CompiledModel, invariants: list[Invariant]):
        self.compiled, self.model = compiled, compiled.model
        self.invariants = invariants
        self.read = CLike(self.model, self._read, ite=lambda c, t, o: f"({c} -> {t} : {o})",
                          const=self._const)

    # ------------------------------------------------------------ naming

    def _lo(self, name: str) -> int:
        return bounds(scalar(self.model.var(name).domain))[0]

    def _cell(self, name: str, elem: int | None) -> str:
        return name if elem is None else f"{name}[{elem}]"

    def _read(self, name: str, elem: int | None) -> str:
        lo = self._lo(name)
        cell = self._cell(name, elem)
        return f"({cell} + {lo})" if lo > 0 else (f"({cell} - {-lo})" if lo < 0 else cell)

    def _const(self, value: object, code: int) -> str:
        if isinstance(value, Symbol):
            return _ident(f"{value.kind}_{value.name}")
        if isinstance(value, bool):
            return "true" if value else "false"
        return str(code)

    # ------------------------------------------------------------ text

    def text(self, config: Mapping[str, object]) -> str:
        words = " ".join(f"{k}={v}" for k, v in config.items())
        lines = [f"/* {self.model.name}: exported by migcheck (export --format promela).",
                 f"   {HEADER} {words}",
                 "   Check with: spin -a FILE && cc -O2 -o pan pan.c && ./pan -m10000000",
                 "   A trail replays with `migcheck trace FILE.trail`. */", ""]
        lines += self._defines()
        lines += self._declarations()
        lines += ["", "active proctype model() {"]
        lines += self._initial()
        lines.append("end: do  /* a state without an enabled step is no error here: migcheck's"
                     " no-deadlock decides which are */")
        for k in range(len(self.compiled.actions)):
            lines += self._step(k)
        lines += ["    od", "}", ""]
        return "\n".join(lines)

    def _defines(self) -> list[str]:
        out = []
        for kind, dom in self.model.kinds.items():
            out.append(f"/* {kind} */")
            for i, member in enumerate(dom.members):
                out.append(f"#define {_ident(f'{kind}_{member.name}')} {i}")
        return out + [""]

    def _declarations(self) -> list[str]:
        out = []
        for var in self.model.variables:
            dom = var.domain
            elem = scalar(dom)
            lo, hi = bounds(elem)
            init = self.model.code(var.init)
            if isinstance(dom, TupleDomain):
                values = {int(c) - lo for c in init}  # type: ignore[union-attr]
                kind = "bit" if hi - lo <= 1 else ("byte" if hi - lo <= 255 else "short")
                first = next(iter(values)) if len(values) == 1 else 0
                out.append(f"{kind} {var.name}[{dom.size}] = {first};  /* {var.doc} */")
            else:
                width = max((hi - lo).bit_length(), 1)
                kind = "bool" if isinstance(elem, BoolDomain) else f"unsigned {var.name} : {width}"
                value = int(init) - lo  # type: ignore[call-overload]
                decl = f"bool {var.name}" if kind == "bool" else kind
                out.append(f"{decl} = {value};  /* {var.doc} */")
        for name in self._temporaries():
            out.append(f"hidden int {name};")
        return out

    def _initial(self) -> list[str]:
        """Tuples whose elements start different (Promela initialises an array to one value)
        are set before the loop: then SPIN stores one state more than migcheck."""
        sets = []
        for var in self.model.variables:
            if isinstance(var.domain, TupleDomain):
                codes = [int(c) for c in self.model.code(var.init)]  # type: ignore[union-attr]
                if len(set(codes)) > 1:
                    lo = self._lo(var.name)
                    sets += [f"{var.name}[{i}] = {c - lo}" for i, c in enumerate(codes)]
        bad = [p.name for p in self.invariants if not self.compiled.predicate(p.predicate)(
            self.model.initial())]
        lines = [f"    d_step {{ {'; '.join(sets)} }}"] if sets else []
        if bad:  # the initial state already fails: assert it before the loop
            lines.append(f"    assert({self._invariants()})")
        return lines

    def _invariants(self) -> str:
        return " && ".join(self.read(p.predicate) for p in self.invariants) or "true"

    def _cells(self, name: str) -> list[int | None]:
        dom = self.model.var(name).domain
        return list(range(dom.size)) if isinstance(dom, TupleDomain) else [None]

    def _values(self, name: str, expr: Expr) -> list[str]:
        if isinstance(self.model.var(name).domain, TupleDomain):
            return self.read.elements(expr)
        return [self.read(expr)]

    def _needs_temp(self, k: int) -> set[str]:
        """Targets whose old value another assignment of the step reads (or, for a tuple,
        an assignment of its own other elements), and the assignments checked at run time."""
        effect = self.compiled.actions[k].effect
        out = {var for var, _ in self.compiled.checked.get(k, ())}
        for var, _ in effect:
            for other, expr in effect:
                if var in variables(expr) and (other != var or len(self._cells(var)) > 1):
                    out.add(var)
        return out

    def _temporaries(self) -> list[str]:
        names: dict[str, None] = {}
        for k in range(len(self.compiled.actions)):
            for var in sorted(self._needs_temp(k)):
                for e in self._cells(var):
                    names[self._temp(var, e)] = None
        return list(names)

    def _temp(self, var: str, elem: int | None) -> str:
        return f"t_{var}" + ("" if elem is None else f"_{elem}")

    def _step(self, k: int) -> list[str]:
        action = self.compiled.actions[k]
        guard = self.read(self.model.guarded(action))
        body = [f'printf("{MARK} {k}\\n")']
        temps = self._needs_temp(k)
        checked = dict(self.compiled.checked.get(k, ()))
        for var, expr in action.effect:
            if var not in temps:
                continue
            for e, value in zip(self._cells(var), self._values(var, expr), strict=True):
                body.append(f"{self._temp(var, e)} = {value}")
            if var in checked:
                lo, hi = checked[var]
                body += [f"assert({lo} <= {self._temp(var, e)} && {self._temp(var, e)} <= {hi})"
                         for e in self._cells(var)]
        # the variables nobody else reads first (their values read the old state), then the
        # ones computed into temporaries
        ordered = sorted(action.effect, key=lambda te: te[0] in temps)
        for var, expr in ordered:
            lo = self._lo(var)
            for e, value in zip(self._cells(var), self._values(var, expr), strict=True):
                source = self._temp(var, e) if var in temps else value
                stored = source if lo == 0 else f"({source}) - ({lo})"
                body.append(f"{self._cell(var, e)} = {stored}")
        if self.invariants and action.effect:
            body.append(f"assert({self._invariants()})")
        head = f"    :: d_step {{ {guard} ->  /* {k}: {action.name} */"
        return [head] + [f"           {line};" for line in body[:-1]] + [
            f"           {body[-1]} }}"]


def export(compiled: CompiledModel, invariants: list[Invariant],
           config: Mapping[str, object]) -> str:
    """The Promela text of the model; `config` is written into the header (so a trail can
    be traced back to the model it came from)."""
    return Promela(compiled, invariants).text(config)


def header_config(text: str) -> dict[str, str]:
    """The configuration an exported file names in its header."""
    for line in text.splitlines()[:10]:
        if HEADER in line:
            words = line.split(HEADER, 1)[1].split()
            return dict(w.split("=", 1) for w in words if "=" in w)
    return {}


def trail_actions(replay_output: str) -> list[int]:
    """The action numbers a `spin -t` replay printed, in order."""
    return [int(m) for m in re.findall(rf"{MARK} (\d+)", replay_output)]
