"""A Hypothesis RuleBasedStateMachine generated from a model's action list.

One rule draws among the model's enabled actions (the compiled guards decide which); each
drawn action is run on the model and, when the application gives one, on a companion: an
executable implementation that follows the model's steps through a refinement mapping (an
implementation's core, say).  After every step every invariant of the model must
hold and the companion must report no mismatch.  A failing run is then shrunk on its model
actions (`shrink`), and the result is a Report like every engine's.

The search.  A uniform choice among enabled actions rarely strings a channel failure and a
whole recovery together: the network and the admin may break the socket or pause at almost
every step, and a recovery takes a dozen thread steps.  So:

* swarm testing: each run first draws a profile for every group of actions, one group per
  fair thread (fast or slow) and one per action of an actor never obliged to act (each
  environment event and operator command): a weight, and how often it may act.  Weight 0 or a
  spent limit mean "only when nothing else can move".  A step picks an enabled action with
  probability proportional to its group's weight.  Runs thus range from a quiet network and a
  patient admin to a busy one, with fast and slow threads;
* moves to states the run has not visited yet weigh more;
* each run reports how many kinds of step (action, variables it changed) it took, and once half
  the examples are spent Hypothesis mutates the richest runs (`target`).

Groups and actions come from the model; every choice is Hypothesis data, so a run replays
exactly and shrinks.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache, lru_cache
from typing import Protocol

from hypothesis import HealthCheck, Phase, settings, strategies as st, target
from hypothesis.stateful import (
    RuleBasedStateMachine,
    get_state_machine_test,
    initialize,
    invariant,
    rule,
)

from migcheck.checker.compile import CompiledModel
from migcheck.checker.expr import TRUE, Expr
from migcheck.checker.kinds import Invariant, Property
from migcheck.checker.report import Coverage, ModelInfo, PropertyResult, Report, Verdict
from migcheck.checker.spec import Action, Model
from migcheck.checker.tracebuild import TraceBuilder, plain


class Violation(AssertionError):
    """A property or the refinement failed; `prop` names it."""

    def __init__(self, prop: str, detail: str):
        super().__init__(f"{prop}: {detail}")
        self.prop = prop


class Companion(Protocol):
    """An implementation driven in lockstep with the model (one per run)."""

    def plan(self, action: str, before: dict, after: dict) -> object | None:
        """How to follow the model's step, or None if this choice cannot be followed."""

    def take(self, action: str, plan: object) -> None:
        """Follow it (raise if the implementation refuses)."""

    def mismatch(self, decoded: dict, state: tuple) -> list[tuple[str, str]]:
        """(property, detail) for every way the implementation now differs or fails."""


Companions = Callable[[], Companion]
REFINEMENT = "refinement"


@dataclass
class FuzzResult:
    ok: bool
    prop: str | None = None
    message: str = ""
    sequence: list[str] = field(default_factory=list)


def _invariants(props: list[Property]) -> list[tuple[str, Expr]]:
    return [(p.name, p.predicate) for p in props if isinstance(p, Invariant)]


PROFILES: tuple[tuple[int, int], ...] = ((0, 0),) + tuple(
    (weight, limit) for weight in (1, 2, 4) for limit in (1, 2))
"""(weight, limit) a group of unobliged actions draws per run: weight 0 means "only when nothing
else can move"; otherwise the group acts at most `limit` times, then waits like that too."""

THREAD_WEIGHTS = (4, 1)
"""Weights a fair thread's group draws per run (a slow thread widens the windows others race
in: pages and requests stay in flight longer)."""

NOVELTY = 4
"""Moves to states the run has not visited yet weigh this many times more: runs push on
through the protocol instead of circling."""

SPREAD = 12
"""A group's weight is shared among its enabled actions in units of 1/SPREAD."""

_THREAD = st.sampled_from(THREAD_WEIGHTS)
_PROFILE = st.sampled_from(PROFILES)


def group_of(model: Model, action: Action) -> str:
    """A fair thread's actions form one group; each action of an actor that is never obliged
    to act (environment, operator) is a group of its own."""
    return action.actor if model.actor(action.actor).fair else action.name


@cache
def _below(n: int) -> st.SearchStrategy[int]:
    return st.integers(0, n - 1)


def _draw_weighted(data, weights: list[tuple[str, int]]) -> str:
    """One key drawn with probability proportional to its weight, from one integer in exactly
    the range needed (Hypothesis draws a small range about evenly, a large one mostly low)."""
    pick = data.draw(_below(sum(w for _, w in weights)), label="action")
    for key, w in weights:
        if pick < w:
            return key
        pick -= w
    raise AssertionError("unreachable")


def machine_for(model: Model, props: list[Property], companion: Companions | None = None
                ) -> type[RuleBasedStateMachine]:
    """The state machine class for one model (and its companion, if any)."""
    compiled = CompiledModel(model)
    checks = [(name, compiled.predicate(expr)) for name, expr in _invariants(props)]
    names = [a.name for a in compiled.actions]
    groups = [group_of(model, a) for a in compiled.actions]
    unobliged = sorted({g for a, g in zip(compiled.actions, groups, strict=True)
                        if a.effect and not model.actor(a.actor).fair})  # refusals never move
    threads = sorted({g for a, g in zip(compiled.actions, groups, strict=True)
                      if model.actor(a.actor).fair})

    class ModelAndCompanion(RuleBasedStateMachine):
        last_sequence: list[str] = []

        def __init__(self) -> None:
            super().__init__()
            self.state = model.initial()
            self.companion = companion() if companion is not None else None
            self.sequence: list[str] = []
            self.visited = {self.state}
            self.effects: set[tuple[str, tuple[int, ...]]] = set()  # (action, changed vars)
            self.weight = dict.fromkeys(groups, THREAD_WEIGHTS[0])
            self.left = dict.fromkeys(groups, -1)  # acts left before it waits (-1: no limit)
            ModelAndCompanion.last_sequence = self.sequence

        @staticmethod
        @lru_cache(maxsize=1 << 14)
        def _decoded(state: tuple) -> dict:
            return plain(model.decode(state))  # shared between calls: read, never change

        @initialize(data=st.data())
        def swarm(self, data: st.DataObject) -> None:
            """This run's weight (and limit) for every group."""
            for g in threads:
                self.weight[g] = data.draw(_THREAD, label=g)
            for g in unobliged:
                self.weight[g], self.left[g] = data.draw(_PROFILE, label=g)

        def _options(self) -> dict[str, tuple[str, tuple, object]]:
            """Enabled model actions the companion can follow: name -> (group, next, plan)."""
            before = self._decoded(self.state)
            options = {}
            for a, nxt in compiled.successors(self.state):
                if nxt == self.state:
                    continue  # refusals and stutters: nothing for the companion either
                plan = (self.companion.plan(names[a], before, self._decoded(nxt))
                        if self.companion is not None else ())
                if plan is not None:
                    options[names[a]] = (groups[a], nxt, plan)
            return options

        @rule(data=st.data())
        def step(self, data: st.DataObject) -> None:
            options = self._options()
            if not options:
                return
            eager = {k: v for k, v in options.items()
                     if self.weight[v[0]] > 0 and self.left[v[0]] != 0}
            pool = eager or options  # nothing else can move: the waiting groups, evenly
            size: dict[str, int] = {}
            for g, _, _ in pool.values():
                size[g] = size.get(g, 0) + 1
            weights = [(k, max(1, (self.weight[g] if eager else 1) * SPREAD // size[g])
                        * (NOVELTY if nxt not in self.visited else 1))
                       for k, (g, nxt, _) in sorted(pool.items())]
            name = _draw_weighted(data, weights)
            group = options[name][0]
            if eager and self.left[group] > 0:
                self.left[group] -= 1
            self._take(name, options[name])

        def _take(self, name: str, option: tuple[str, tuple, object]) -> None:
            """Run one model action and what the companion does for it."""
            _, nxt, plan = option
            self.sequence.append(name)
            self.effects.add((name, tuple(i for i, (a, b) in enumerate(
                zip(self.state, nxt, strict=True)) if a != b)))
            if self.companion is not None:
                try:
                    self.companion.take(name, plan)
                except Exception as exc:  # noqa: BLE001 - the companion refused a step
                    raise Violation(REFINEMENT, f"{name} -> {plan}: {exc!r}") from None
            self.state = nxt
            self.visited.add(nxt)

        def teardown(self) -> None:
            # once half the examples are spent, Hypothesis mutates the runs that showed the
            # most kinds of step (action and the variables it changed) to find more
            target(float(len(self.effects)), label="distinct effects")

        @invariant()
        def refines_and_holds(self) -> None:
            if self.companion is not None:
                bad = self.companion.mismatch(self._decoded(self.state), self.state)
                if bad:
                    raise Violation(bad[0][0], "; ".join(d for _, d in bad))
            for name, pred in checks:
                if not pred(self.state):
                    raise Violation(name, "fails in the model's state")

    ModelAndCompanion.__name__ = f"Fuzz_{model.name}"
    return ModelAndCompanion


def replay(machine: type[RuleBasedStateMachine], names: list[str]
           ) -> tuple[Violation | None, list[str]]:
    """Run model actions by name on a fresh machine, checking after every step as a fuzz run
    does, and skipping an action that is not enabled (or that the core cannot follow) at its
    turn.  Returns the violation, if any, and the actions actually run, up to it."""
    m = machine()
    try:
        m.refines_and_holds()
        for name in names:
            option = m._options().get(name)
            if option is not None:
                m._take(name, option)
                m.refines_and_holds()
    except Violation as exc:
        return exc, list(m.sequence)
    return None, list(m.sequence)


def shrink(machine: type[RuleBasedStateMachine], names: list[str], prop: str
           ) -> tuple[Violation | None, list[str]]:
    """A shorter action sequence violating `prop`: delta debugging (ddmin) over the actions,
    each candidate replayed with `replay`, so that taking out, say, a failure also drops the
    pause and recovery steps it caused, which are no longer enabled."""
    found, seq = replay(machine, names)
    if found is None or found.prop != prop:
        return None, names  # cannot happen for a deterministic machine: keep the run
    parts = 2
    while len(seq) >= 2:
        size = -(-len(seq) // parts)
        for start in range(0, len(seq), size):
            again, ran = replay(machine, seq[:start] + seq[start + size:])
            if again is not None and again.prop == prop:
                found, seq, parts = again, ran, max(parts - 1, 2)
                break
        else:
            if size == 1:
                break
            parts = min(len(seq), 2 * parts)
    return found, seq


def fuzz(model: Model, props: list[Property], companion: Companions | None = None,
         examples: int = 100, seed: int | None = None, steps: int = 120,
         derandomize: bool = False) -> FuzzResult:
    """Run the machine; on a failure return the shrunk sequence of model actions.

    Hypothesis's own shrinker works on the run's whole choice sequence (the swarm draws and
    one draw per step) and took 30-50 s on a 35-step recovery counterexample; shrinking the
    failing run's model actions directly gives sequences as short (as the explorer's, often)
    in well under a second, so Hypothesis stops at the first failure."""
    from hypothesis import seed as hseed

    cls = machine_for(model, props, companion)
    cfg = settings(max_examples=examples, stateful_step_count=steps, deadline=None,
                   derandomize=derandomize, database=None, print_blob=False,
                   report_multiple_bugs=False,
                   phases=(Phase.explicit, Phase.reuse, Phase.generate, Phase.target),
                   suppress_health_check=list(HealthCheck))
    # the seed must sit on the @given test Hypothesis builds for the machine: on a wrapper
    # around run_state_machine_as_test it is ignored and every run draws afresh
    test = get_state_machine_test(cls, settings=cfg)
    if seed is not None and not derandomize:
        test = hseed(seed)(test)
    try:
        test()
    except Violation as exc:
        found, sequence = shrink(cls, list(cls.last_sequence), exc.prop)
        final = found or exc
        return FuzzResult(False, final.prop, str(final), sequence)
    return FuzzResult(True)


def report(model: Model, props: list[Property], result: FuzzResult, examples: int,
           steps: int, seconds: float, has_companion: bool) -> Report:
    """The fuzz run as a Report: a violated invariant (or refinement) with the shrunk run as
    its trace; the other invariants "no counterexample" (tested, not proved); other kinds are
    not decided by random runs."""
    method = f"Hypothesis: {examples} runs of up to {steps} steps"
    compiled = CompiledModel(model)
    trace = None
    if not result.ok:
        path, state = [(None, model.initial())], model.initial()
        for name in result.sequence:
            k = model.action_index[name]
            state = next(nxt for a, nxt in compiled.successors(state) if a == k)
            path.append((k, state))
        trace = TraceBuilder(compiled).build(result.prop or "?", "invariant", path,
                                             summary=result.message, engine="fuzz")
    results = []
    refinement = [Invariant(REFINEMENT, "The companion implementation follows the model step"
                            " for step and agrees with it after every step.",
                            "the refinement mapping", predicate=TRUE)] if has_companion else []
    for p in [*props, *refinement]:
        if result.prop == p.name:
            results.append(PropertyResult.of(p, Verdict.VIOLATED, method, result.message,
                                             trace, seconds))
        elif isinstance(p, Invariant):
            results.append(PropertyResult.of(p, Verdict.NO_COUNTEREXAMPLE, method))
        else:
            results.append(PropertyResult.of(p, Verdict.NOT_APPLICABLE, method,
                                             f"fuzz does not decide {p.kind} properties"))
    coverage = Coverage(True, method, f"random testing: {examples} runs of up to {steps}"
                        " steps; nothing is proved", seconds=seconds)
    return Report("fuzz", ModelInfo.of(model), coverage, results, seconds)
