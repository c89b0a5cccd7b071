"""Generate the native explorer's C source from the model's expression trees.

The model part is one function, `expand_state`: unpack every slot of a packed state into a
local, evaluate the marked state predicates (the invariants, witnesses and the conditions the
other property decisions ask about: one bit each per state), then for each action
in the model's order a test of its guard and, where it holds, the successor's words.  The
guards are grouped exactly as the Python generator groups them (`CompiledModel.guard_runs`),
so successors come out in the same order.  Assignments that the static ranges cannot keep in
their domain are checked first, as in the Python code; a failure returns the action's index.
"""

from __future__ import annotations

from importlib import resources

import numpy as np

from migcheck.checker.clike import CLike
from migcheck.checker.compile import CompiledModel
from migcheck.checker.expr import Expr
from migcheck.checker.native.layout import Layout, Slot

MAX_MARKED = 64  # state predicates evaluated while exploring (one bit each)


def _uint(bits_needed: int) -> int:
    return next(size for size in (8, 16, 32, 64) if bits_needed <= size)


def widths(compiled: CompiledModel, marked: tuple[Expr, ...]) -> dict[str, int]:
    """The bit widths of an action number, an out-degree, a fair-actor mask and the marks."""
    n_actions, n_actors = len(compiled.actions), len(compiled.model.actors)
    return {"act": _uint(max(n_actions - 1, 1).bit_length()),
            "deg": _uint(n_actions.bit_length()), "fair": _uint(n_actors),
            "mark": _uint(len(marked))}


def dtypes(compiled: CompiledModel, marked: tuple[Expr, ...]) -> dict[str, type]:
    return {k: getattr(np, f"uint{v}") for k, v in widths(compiled, marked).items()}


class Generator:
    def __init__(self, compiled: CompiledModel, layout: Layout, marked: tuple[Expr, ...]):
        if len(marked) > MAX_MARKED:
            raise ValueError(f"at most {MAX_MARKED} marked predicates")
        self.compiled, self.layout, self.marked = compiled, layout, marked
        self.model = compiled.model
        self.src = CLike(self.model, self._local)

    def _local(self, name: str, elem: int | None) -> str:
        i = self.model.var_index[name]
        return f"v{i}" if elem is None else f"v{i}_{elem}"

    def _slot_local(self, slot: Slot) -> str:
        return f"v{slot.var}" if slot.elem is None else f"v{slot.var}_{slot.elem}"

    def params(self) -> str:
        return "\n".join([f"#define W {self.layout.words}",
                          *(f"typedef uint{v}_t {k}_t;"
                            for k, v in widths(self.compiled, self.marked).items())]
                         ) + "\n"

    def source(self) -> str:
        core = resources.files("migcheck.checker.native").joinpath("core.c").read_text()
        return core.replace("/*@PARAMS@*/", self.params()).replace("/*@MODEL@*/", self.model_c())

    def model_c(self) -> str:
        lines = ["static int expand_state(const uint64_t *s, Slice *o, mark_t *mark,"
                 " deg_t *deg, fair_t *fair) {"]
        for slot in self.layout.slots:
            value = f"FIELD(s, {slot.word}, {slot.shift}, {slot.mask:#x}ULL)"
            if slot.lo:
                value = f"({value} + ({slot.lo}))"
            lines.append(f"    const int64_t {self._slot_local(slot)} = {value};")
        lines.append("    mark_t m = 0;")
        for j, pred in enumerate(self.marked):
            lines.append(f"    if ({self.src(pred)}) m |= (mark_t)1 << {j};")
        lines.append("    *mark = m;")
        lines.append(f"    uint64_t n[{self.layout.words}];")
        for shared, run in self.compiled.guard_runs():
            indent = "    "
            if shared is not None:
                lines.append(f"    if ({self.src(shared)}) {{")
                indent = "        "
            for k, rest in run:
                lines.append(f"{indent}if ({self.src(rest)}) {{")
                lines += [indent + "    " + line for line in self._action(k)]
                lines.append(f"{indent}}}")
            if shared is not None:
                lines.append("    }")
        lines += ["    return -1;", "}"]
        return "\n".join(lines) + "\n"

    def _action(self, k: int) -> list[str]:
        action = self.compiled.actions[k]
        if not action.effect:
            return ["o->self_loops++;"]
        fair = self.model.actor(action.actor).fair
        bit = f"((fair_t)1 << {self.model.actor_index[action.actor]})" if fair else "0"
        out: list[str] = []
        values: list[tuple[Slot, str]] = []
        risky = {var for var, _ in self.compiled.checked.get(k, ())}
        for var, expr in action.effect:
            slots = [self.layout.slots[i] for i in self.layout.var_slots[self.model.var_index[var]]]
            texts = (self.src.elements(expr) if slots[0].elem is not None else [self.src(expr)])
            for slot, text in zip(slots, texts, strict=True):
                values.append((slot, text))
        # the risky ones in the Python generator's order, each checked before any is stored
        for var, (lo, hi) in self.compiled.checked.get(k, ()):
            tests = []
            for slot, text in values:
                if self.model.variables[slot.var].name == var:
                    name = f"t{slot.var}" + ("" if slot.elem is None else f"_{slot.elem}")
                    out.append(f"const int64_t {name} = {text};")
                    tests.append(f"{name} < {lo} || {name} > {hi}")
            out.append(f"if ({' || '.join(tests)}) return {k};")
        out.append("memcpy(n, s, sizeof n);")
        for slot, text in values:
            var = self.model.variables[slot.var].name
            if var in risky:
                text = f"t{slot.var}" + ("" if slot.elem is None else f"_{slot.elem}")
            value = f"({text}) - ({slot.lo})" if slot.lo else text
            out.append(f"SET(n, {slot.word}, {slot.shift}, {slot.mask:#x}ULL, {value});")
        out.append(f"EMIT({k}, {bit});")
        return out
