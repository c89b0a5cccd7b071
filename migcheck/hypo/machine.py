"""A Hypothesis RuleBasedStateMachine generated from a model's action list.

One rule draws among the model's enabled actions (the compiled guards decide which); each
drawn action is run on the model and, through the refinement mapping, on the reference core.
After every step: the core's abstract page state must equal the model's (refinement), every
model invariant must hold, and so must the core checks that state the same properties.
A failing run is then shrunk on its model actions (`shrink`) and printed as such.

The search.  A uniform choice among enabled actions rarely strings a channel failure and a
whole recovery together: the network and the admin may break the socket or pause at almost
every step, and a recovery takes a dozen thread steps.  So:

* swarm testing: each run first draws a profile for every group of actions, one group per QEMU
  thread (fast or slow) and one per action of an actor never obliged to act (each network
  failure, QMP command and guest fault): a weight, and how often it may act.  Weight 0 or a
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

from dataclasses import dataclass, field
from functools import cache, lru_cache

from hypothesis import HealthCheck, Phase, settings, strategies as st, target
from hypothesis.stateful import (
    RuleBasedStateMachine,
    get_state_machine_test,
    initialize,
    invariant,
    rule,
)

from migcheck.checker.compile import CompiledModel
from migcheck.checker.expr import Expr
from migcheck.checker.kinds import Invariant
from migcheck.checker.spec import Action, Model
from migcheck.checker.tracebuild import plain
from migcheck.hypo import pagecore_map as cmap
from migcheck.model.pages import in_m2d
from migcheck.pagecore import PageCore


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
    out = []
    for p in props:
        if isinstance(p, Invariant):
            out.append((p.name, p.predicate))
    return out


PROFILES: tuple[tuple[int, int], ...] = ((0, 0),) + tuple(
    (weight, limit) for weight in (1, 2, 4) for limit in (1, 2))
"""(weight, limit) a group of unobliged actions draws per run: weight 0 means "only when nothing
else can move"; otherwise the group acts at most `limit` times, then waits like that too."""

THREAD_WEIGHTS = (4, 1)
"""Weights a QEMU thread's group draws per run (a slow thread widens the windows others race
in: pages and requests stay in flight longer)."""

NOVELTY = 4
"""Moves to states the run has not visited yet weigh this many times more: runs push on
through the protocol instead of circling."""

SPREAD = 12
"""A group's weight is shared among its enabled actions in units of 1/SPREAD."""

_THREAD = st.sampled_from(THREAD_WEIGHTS)
_PROFILE = st.sampled_from(PROFILES)


def group_of(model: Model, action: Action) -> str:
    """A QEMU thread's actions form one group; each action of an actor that is never obliged
    to act (network, admin, guests) is a group of its own."""
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


def machine_for(model: Model, props, faults: tuple[str, ...]) -> type[RuleBasedStateMachine]:
    """The state machine class for one model (and the matching injected core faults)."""
    compiled = CompiledModel(model)
    n = int(model.params["pages"])
    checks = [(name, compiled.predicate(expr)) for name, expr in _invariants(model, props)]
    flight = [compiled.predicate(in_m2d(p)) for p in range(n)]
    names = [a.name for a in compiled.actions]
    groups = [group_of(model, a) for a in compiled.actions]
    unobliged = sorted({g for a, g in zip(compiled.actions, groups, strict=True)
                        if a.effect and not model.actor(a.actor).fair})  # refusals never move
    threads = sorted({g for a, g in zip(compiled.actions, groups, strict=True)
                      if model.actor(a.actor).fair})

    class ModelAndCore(RuleBasedStateMachine):
        last_sequence: list[str] = []

        def __init__(self) -> None:
            super().__init__()
            self.state = model.initial()
            self.core = PageCore(n, faults=faults, max_writes=1, max_breaks=1000)
            self.sequence: list[str] = []
            self.visited = {self.state}
            self.effects: set[tuple[str, tuple[int, ...]]] = set()  # (action, changed vars)
            self.weight = dict.fromkeys(groups, THREAD_WEIGHTS[0])
            self.left = dict.fromkeys(groups, -1)  # acts left before it waits (-1: no limit)
            ModelAndCore.last_sequence = self.sequence

        @staticmethod
        @lru_cache(maxsize=1 << 14)
        def _decoded(state) -> dict:
            return plain(model.decode(state))  # shared between calls: read, never change

        @initialize(data=st.data())
        def swarm(self, data) -> None:
            """This run's weight (and limit) for every group."""
            for g in threads:
                self.weight[g] = data.draw(_THREAD, label=g)
            for g in unobliged:
                self.weight[g], self.left[g] = data.draw(_PROFILE, label=g)

        def _options(self) -> dict[str, tuple[str, tuple, list[str]]]:
            """Enabled model actions the core can follow: name -> (group, next state, plan)."""
            before = self._decoded(self.state)
            options = {}
            for a, nxt in compiled.successors(self.state):
                if nxt == self.state:
                    continue  # refusals and stutters: nothing for the core either
                plan = cmap.core_plan(names[a], before, self._decoded(nxt), self.core)
                if plan is not None:
                    options[names[a]] = (groups[a], nxt, plan)
            return options

        @rule(data=st.data())
        def step(self, data) -> None:
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

        def _take(self, name: str, option: tuple[str, tuple, list[str]]) -> None:
            """Run one model action and the core steps it stands for."""
            _, nxt, plan = option
            self.sequence.append(name)
            self.effects.add((name, tuple(i for i, (a, b) in enumerate(
                zip(self.state, nxt, strict=True)) if a != b)))
            try:
                cmap.run_plan(name, plan, self.core)
            except Exception as exc:  # the core refused a step the mapping asked for
                raise Violation("refinement", f"{name} -> {plan}: {exc!r}") from None
            self.state = nxt
            self.visited.add(nxt)

        def teardown(self) -> None:
            # once half the examples are spent, Hypothesis mutates the runs that showed the
            # most kinds of step (action and the variables it changed) to find more
            target(float(len(self.effects)), label="distinct effects")

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


def replay(machine: type[RuleBasedStateMachine], names: list[str]) -> tuple[Violation | None,
                                                                          list[str]]:
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


def fuzz(model: Model, props, examples: int = 100, seed: int | None = None,
         steps: int = 120, derandomize: bool = False) -> FuzzResult:
    """Run the machine; on a failure return the shrunk sequence of model actions.

    Hypothesis's own shrinker works on the run's whole choice sequence (the swarm draws and
    one draw per step) and took 30-50 s on a 35-step recovery counterexample; shrinking the
    failing run's model actions directly gives sequences as short (as the explorer's, often)
    in well under a second, so Hypothesis stops at the first failure."""
    from hypothesis import seed as hseed

    faults = cmap.FAULT_OF_MODEL.get(model.name, ())
    cls = machine_for(model, props, faults)
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
