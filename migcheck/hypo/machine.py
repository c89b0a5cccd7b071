"""A Hypothesis RuleBasedStateMachine generated from a model's action list.

One rule draws among the model's enabled actions (the compiled guards decide which); each
drawn action is run on the model and, through the refinement mapping, on the reference core.
After every step: the core's abstract page state must equal the model's (refinement), every
model invariant must hold, and so must the core checks that state the same properties.
Shrinking then gives the shortest failing sequence Hypothesis finds, printed as model actions.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from hypothesis import HealthCheck, settings, strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test

from migcheck.compile import CompiledModel
from migcheck.expr import Expr
from migcheck.hypo import pagecore_map as cmap
from migcheck.props import Invariant, plain
from migcheck.spec import Model
from pagecore import PageCore


class Violation(AssertionError):
    """A property or the refinement failed; `prop` names it."""

    def __init__(self, prop: str, detail: str):
        super().__init__(f"{prop}: {detail}")
        self.prop = prop


@dataclass
class FuzzResult:
    ok: bool
    prop: str | None = None
    message: str = ""
    sequence: list[str] = field(default_factory=list)


def _invariants(model: Model, props) -> list[tuple[str, Expr]]:
    n = int(model.params.get("pages", 0))
    out = []
    for p in props:
        concrete = p.concrete(n) if hasattr(p, "concrete") else p
        if isinstance(concrete, Invariant) and concrete.applies_to(model):
            out.append((p.name, concrete.predicate))
    return out


def machine_for(model: Model, props, faults: tuple[str, ...]) -> type[RuleBasedStateMachine]:
    """The state machine class for one model (and the matching injected core faults)."""
    from model.pages import in_m2d

    compiled = CompiledModel(model)
    n = int(model.params["pages"])
    checks = [(name, compiled.predicate(expr)) for name, expr in _invariants(model, props)]
    flight = [compiled.predicate(in_m2d(p)) for p in range(n)]
    names = [a.name for a in compiled.actions]

    class ModelAndCore(RuleBasedStateMachine):
        last_sequence: list[str] = []

        def __init__(self) -> None:
            super().__init__()
            self.state = model.initial()
            self.core = PageCore(n, faults=faults, max_writes=1, max_breaks=1000)
            self.sequence: list[str] = []
            self.visited = {self.state}
            ModelAndCore.last_sequence = self.sequence

        def _decoded(self, state) -> dict:
            return plain(model.decode(state))

        @rule(data=st.data())
        def step(self, data) -> None:
            before = self._decoded(self.state)
            options = {}
            for a, nxt in compiled.successors(self.state):
                if nxt == self.state:
                    continue  # refusals and stutters: nothing for the core either
                plan = cmap.core_plan(names[a], before, self._decoded(nxt), self.core)
                if plan is not None:
                    options[names[a]] = (nxt, plan)
            if not options:
                return
            # prefer moves to states this run has not visited yet (deterministic per run, so
            # shrinking replays exactly): random runs then push on through the protocol
            # instead of circling, which is what reaches a recovery ~30 steps deep
            fresh = sorted(n for n, (nxt, _) in options.items() if nxt not in self.visited)
            pool = fresh if fresh and data.draw(st.integers(0, 3), label="novel") else []
            name = data.draw(st.sampled_from(pool or sorted(options)), label="action")
            nxt, plan = options[name]
            self.sequence.append(name)
            try:
                cmap.run_plan(name, plan, self.core)
            except Exception as exc:  # the core refused a step the mapping asked for
                raise Violation("refinement", f"{name} -> {plan}: {exc!r}") from None
            self.state = nxt
            self.visited.add(nxt)

        @invariant()
        def refines_and_holds(self) -> None:
            decoded = self._decoded(self.state)
            bad = cmap.abstract_mismatch(decoded, self.core, n,
                                         lambda p: flight[p](self.state))
            if bad:
                raise Violation("refinement", "; ".join(bad))
            for name, pred in checks:
                if not pred(self.state):
                    raise Violation(name, "fails in the model's state")
            for name, method in cmap.CORE_CHECKS.items():
                found = getattr(self.core, method)()
                if found:
                    raise Violation(name, f"(pagecore) {found[0]}")

    ModelAndCore.__name__ = f"Fuzz_{model.name}"
    return ModelAndCore


def fuzz(model: Model, props, examples: int = 100, seed: int | None = None,
         steps: int = 120, derandomize: bool = False) -> FuzzResult:
    """Run the machine; on a failure return the shrunk sequence of model actions."""
    from hypothesis import seed as hseed

    faults = cmap.FAULT_OF_MODEL.get(model.name, ())
    cls = machine_for(model, props, faults)
    cfg = settings(max_examples=examples, stateful_step_count=steps, deadline=None,
                   derandomize=derandomize, database=None, print_blob=False,
                   suppress_health_check=list(HealthCheck))

    def test() -> None:
        run_state_machine_as_test(cls, settings=cfg)

    if seed is not None and not derandomize:
        test = hseed(seed)(test)
    try:
        test()
    except Violation as exc:
        return FuzzResult(False, exc.prop, str(exc), list(cls.last_sequence))
    return FuzzResult(True)
