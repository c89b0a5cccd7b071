"""Each kind of property, decided on tiny hand-built models (so each check can fail)."""

from __future__ import annotations

import enum

from migcheck.checker.compile import CompiledModel
from migcheck.checker.decide import Context, decide
from migcheck.checker.explore import explore
from migcheck.checker.expr import TRUE, Var, lift
from migcheck.checker.kinds import (
    Escapable,
    Invariant,
    LeavesEventually,
    NoDeadlock,
    Sometimes,
    StepInvariant,
    WaitsHavePosters,
    next_,
)
from migcheck.checker.report import Verdict
from migcheck.checker.spec import (
    Action,
    Actor,
    ActorKind,
    BoolDomain,
    EnumDomain,
    IntDomain,
    Model,
    StateVar,
    Wait,
)
from migcheck.checker.wellformed import check_model


class Pc(enum.Enum):
    START = 0
    WAIT = 1
    DONE = 2


pc, sem, flag = Var("pc"), Var("sem"), Var("flag")
ACTORS = (Actor("worker", ActorKind.THREAD, "src", "a fair thread"),
          Actor("poster", ActorKind.THREAD, "dst", "a fair thread"),
          Actor("admin", ActorKind.ADMIN, "admin", "not obliged"))
VARS = (StateVar("pc", EnumDomain(Pc), Pc.START, "", "src"),
        StateVar("sem", IntDomain(0, 1), 0, "", "src"),
        StateVar("flag", BoolDomain(), False, "", "dst"))
WAIT = Wait("worker", "pc", Pc.WAIT, "sem", sem > 0, "toy.c:wait")


def toy(*actions: Action, valid_end=TRUE) -> Context:
    model = Model("toy", "", VARS, ACTORS, tuple(actions), waits=(WAIT,), valid_end=valid_end)
    check_model(model)
    compiled = CompiledModel(model)
    return Context(compiled, explore(compiled))


def step(name, actor, guard, **effect) -> Action:
    assigns = tuple((k, lift(v)) for k, v in effect.items())
    return Action(name, actor, guard, assigns, "toy.c:" + name.replace(" ", "_"))


GO_WAIT = step("go wait", "worker", pc.eq(Pc.START), pc=Pc.WAIT)
WAKE = step("wake", "worker", pc.eq(Pc.WAIT) & (sem > 0), pc=Pc.DONE, sem=0)
POST = step("post", "poster", ~flag, sem=1, flag=True)
ADMIN_POST = step("admin post", "admin", ~flag, sem=1, flag=True)


def test_invariant_fails_with_the_shortest_path():
    ctx = toy(GO_WAIT, WAKE, POST)
    out = decide(Invariant("never done", "", "", predicate=pc.ne(Pc.DONE)), ctx)
    assert out.verdict is Verdict.VIOLATED and out.trace.length == 3


def test_invariant_holds():
    ctx = toy(GO_WAIT, WAKE, POST)
    assert decide(Invariant("sem small", "", "", predicate=sem <= 1), ctx).verdict is Verdict.HOLDS


def test_step_invariant_catches_a_forbidden_move():
    ctx = toy(GO_WAIT, WAKE, POST)
    prop = StepInvariant("no wait->done", "", "",
                         predicate=~(pc.eq(Pc.WAIT) & next_("pc").eq(Pc.DONE)))
    out = decide(prop, ctx)
    assert out.verdict is Verdict.VIOLATED and out.trace.steps[-1].action == "wake"


def test_deadlock_when_nobody_posts():
    ctx = toy(GO_WAIT, WAKE, valid_end=pc.eq(Pc.DONE))
    out = decide(NoDeadlock("no-deadlock", "", ""), ctx)
    assert out.verdict is Verdict.VIOLATED
    assert out.trace.steps[-1].state["pc"] == "WAIT"


def test_no_deadlock_when_a_thread_posts():
    ctx = toy(GO_WAIT, WAKE, POST, valid_end=pc.eq(Pc.DONE))
    assert decide(NoDeadlock("no-deadlock", "", ""), ctx).verdict is Verdict.HOLDS


def test_liveness_holds_when_a_fair_thread_posts():
    ctx = toy(GO_WAIT, WAKE, POST)
    prop = LeavesEventually("leaves wait", "", "", cond=pc.ne(Pc.DONE))
    assert decide(prop, ctx).verdict is Verdict.HOLDS


def test_liveness_fails_when_only_the_admin_could_post():
    ctx = toy(GO_WAIT, WAKE, ADMIN_POST)
    out = decide(LeavesEventually("leaves wait", "", "", cond=pc.ne(Pc.DONE)), ctx)
    assert out.verdict is Verdict.VIOLATED and out.trace.kind == "stuck"


def test_liveness_fails_on_a_fair_cycle():
    spin_a = step("spin a", "worker", pc.eq(Pc.START) & ~flag, flag=True)
    spin_b = step("spin b", "worker", pc.eq(Pc.START) & flag, flag=False)
    ctx = toy(spin_a, spin_b)
    out = decide(LeavesEventually("leaves start", "", "", cond=pc.eq(Pc.START)), ctx)
    assert out.verdict is Verdict.VIOLATED and out.trace.kind == "lasso"
    assert out.trace.loop_start is not None


def test_unfair_cycle_is_not_a_violation():
    """The admin may toggle forever, but the fair worker is always enabled and must move."""
    toggle = step("toggle", "admin", TRUE, flag=~flag)
    leave = step("leave", "worker", pc.eq(Pc.START), pc=Pc.DONE)
    ctx = toy(toggle, leave)
    prop = LeavesEventually("leaves start", "", "", cond=pc.eq(Pc.START))
    assert decide(prop, ctx).verdict is Verdict.HOLDS


def test_escapable_needs_a_path_to_the_goal():
    ctx = toy(GO_WAIT, WAKE, ADMIN_POST)
    goal = pc.eq(Pc.DONE)
    assert decide(Escapable("esc", "", "", goal=goal,
                     allowed=frozenset({"worker", "admin"})), ctx).verdict is Verdict.HOLDS
    out = decide(Escapable("esc", "", "", goal=goal, allowed=frozenset({"worker"})), ctx)
    assert out.verdict is Verdict.VIOLATED


def test_waits_have_posters():
    prop = WaitsHavePosters("w", "", "", exempt=pc.eq(Pc.DONE))
    assert decide(prop, toy(GO_WAIT, WAKE, POST)).verdict is Verdict.HOLDS
    out = decide(prop, toy(GO_WAIT, WAKE))
    assert out.verdict is Verdict.VIOLATED and "sem" in out.detail


def test_sometimes_reports_vacuity():
    ctx = toy(GO_WAIT, WAKE)
    out = decide(Sometimes("done", "", "", predicate=pc.eq(Pc.DONE)), ctx)
    assert out.verdict is Verdict.NOT_WITNESSED
