"""Why a trace ends stuck, as data: who sleeps on what, who could wake them, and why not.

At the state a trace ends in (or the state its repeated part starts from), every thread that
sits at a blocking point (`Wait`) with its condition false is asleep.  For each, the actions of
other actors that would make the condition true if they ran now are its *posters*; each
poster's guard is false there (else the trace would not end), and the conjuncts that are false
say why.  Nothing here knows a protocol: it reads the model's waits, actions and guards.
The views turn this into a paragraph ("why stuck"); the refused commands and their replies are
already in the trace's steps.
"""

from __future__ import annotations

from dataclasses import dataclass

from migcheck.checker.compile import CompiledModel, State, function_of
from migcheck.checker.expr import And, Expr, Ite, Not, show, variables
from migcheck.checker.spec import Action, Wait

SHOWN_CONJUNCTS = 3  # false guard conjuncts kept per poster


@dataclass(frozen=True)
class Poster:
    """An action that would make a sleeper's condition true if it could run."""

    action: str
    actor: str
    starts_at: tuple[str, ...]  # program points its actor must be at (empty: any)
    missing: tuple[str, ...]  # other conjuncts of its guard that are false at the end


@dataclass(frozen=True)
class Sleeper:
    """A thread asleep at the end of the trace."""

    actor: str
    on: str  # what it waits for (a semaphore, a join)
    cites: str
    since: int  # the step from which it has been asleep without a break
    posters: tuple[Poster, ...]


@dataclass(frozen=True)
class ActorAt:
    """Where an actor that could post something is at the end of the trace."""

    name: str
    doc: str
    pc: str | None  # the variable holding its program point (sequential actors)
    at: str | None  # its program point at the end
    since: int | None  # the step that put it there (None: from the initial state)


@dataclass(frozen=True)
class Diagnosis:
    end: int  # the step whose state is diagnosed
    sleepers: tuple[Sleeper, ...]
    actors: tuple[ActorAt, ...]

    def actor(self, name: str) -> ActorAt | None:
        return next((a for a in self.actors if a.name == name), None)


def _conjuncts(guard: Expr) -> tuple[Expr, ...]:
    return guard.args if isinstance(guard, And) else (guard,)


def _branches(expr: Expr, conds: tuple[Expr, ...] = ()) -> list[tuple[Expr, tuple[Expr, ...]]]:
    """The values an expression may take, each with the if-then-else conditions leading to it
    (`min(x + 1, 2)` gives `x + 1` if `x + 1 <= 2`, else `2`)."""
    if isinstance(expr, Ite):
        return (_branches(expr.then, (*conds, expr.cond))
                + _branches(expr.other, (*conds, Not(expr.cond))))
    return [(expr, conds)]


def _name(value: object) -> str:
    return getattr(value, "name", str(value))


class Diagnoser:
    """Diagnoses end states of one compiled model (compiled predicates are cached)."""

    def __init__(self, compiled: CompiledModel) -> None:
        self.compiled = compiled
        self.model = compiled.model
        self._names = [v.name for v in self.model.variables]
        self._fns: dict[Expr, object] = {}

    def _eval(self, expr: Expr, state: State) -> object:
        fn = self._fns.get(expr)
        if fn is None:
            fn = self._fns[expr] = function_of(expr, self._names, self.model.code)
        return fn(state)  # type: ignore[operator]

    def asleep(self, wait: Wait, state: State) -> bool:
        return bool(self._eval(wait.at(), state)) and not self._eval(wait.until, state)

    def _posting(self, action: Action, wait: Wait, state: State) -> list[Expr] | None:
        """The conditions under which running the action here (guard aside) makes the wait's
        condition true: each assignment to a variable the condition reads is split into its
        if-then-else branches, and a branch posts if its value would.  Returns the branch
        conditions that are false here (empty: it posts as things stand), or None if no
        branch posts."""
        base = list(state)
        for var, expr in action.effect:
            base[self.model.var_index[var]] = self._eval(expr, state)
        reads = variables(wait.until)
        best: list[Expr] | None = None
        for var, expr in action.effect:
            if var not in reads:
                continue
            i = self.model.var_index[var]
            for value, conds in _branches(expr):
                after = list(base)
                after[i] = self._eval(value, state)
                if self._eval(wait.until, tuple(after)):
                    unmet = [c for c in conds if not self._eval(c, state)]
                    if best is None or len(unmet) < len(best):
                        best = unmet
        return best

    def _poster(self, action: Action, state: State, unmet: list[Expr]) -> Poster:
        starts, _ = self.model.program_points(action)
        pc = self.model.actor(action.actor).pc
        guard = [c for c in _conjuncts(self.model.guarded(action))
                 if not self._eval(c, state) and not (pc is not None and variables(c) == {pc})]
        missing = list(dict.fromkeys(show(c) for c in guard + unmet))
        return Poster(action.name, action.actor, tuple(_name(p) for p in starts),
                      tuple(missing[:SHOWN_CONJUNCTS]))

    def diagnose(self, states: list[State], end: int) -> Diagnosis | None:
        """The sleepers at `states[end]` and their posters; None when nobody sleeps there."""
        state = states[end]
        sleepers = []
        for wait in self.model.waits:
            if not self.asleep(wait, state):
                continue
            since = end
            while since > 0 and self.asleep(wait, states[since - 1]):
                since -= 1
            reads = variables(wait.until)
            posters = []
            for action in self.model.actions:
                if action.actor == wait.actor or not reads & {v for v, _ in action.effect}:
                    continue
                unmet = self._posting(action, wait, state)
                if unmet is not None:
                    posters.append(self._poster(action, state, unmet))
            sleepers.append(Sleeper(wait.actor, wait.on, wait.cites, since, tuple(posters)))
        if not sleepers:
            return None
        names = dict.fromkeys(p.actor for s in sleepers for p in s.posters)
        return Diagnosis(end, tuple(sleepers),
                         tuple(self._actor_at(n, states, end) for n in names))

    def _actor_at(self, name: str, states: list[State], end: int) -> ActorAt:
        actor = self.model.actor(name)
        if actor.pc is None:
            return ActorAt(name, actor.doc, None, None, None)
        i = self.model.var_index[actor.pc]
        value = states[end][i]
        since = end
        while since > 0 and states[since - 1][i] == value:
            since -= 1
        shown = _name(self.model.variables[i].domain.decode(value))
        return ActorAt(name, actor.doc, actor.pc, shown, since or None)


# ---------------------------------------------------------------- as JSON (trace metadata)


def to_json(d: Diagnosis) -> dict:
    return {
        "end": d.end,
        "sleepers": [{"actor": s.actor, "on": s.on, "cites": s.cites, "since": s.since,
                      "posters": [{"action": p.action, "actor": p.actor,
                                   "starts_at": list(p.starts_at), "missing": list(p.missing)}
                                  for p in s.posters]}
                     for s in d.sleepers],
        "actors": [{"name": a.name, "doc": a.doc, "pc": a.pc, "at": a.at, "since": a.since}
                   for a in d.actors],
    }


def from_json(doc: dict) -> Diagnosis:
    """Raises KeyError or TypeError on a malformed document."""
    return Diagnosis(
        int(doc["end"]),
        tuple(Sleeper(str(s["actor"]), str(s["on"]), str(s.get("cites", "")), int(s["since"]),
                      tuple(Poster(str(p["action"]), str(p["actor"]),
                                   tuple(map(str, p.get("starts_at", ()))),
                                   tuple(map(str, p.get("missing", ()))))
                            for p in s.get("posters", ())))
              for s in doc["sleepers"]),
        tuple(ActorAt(str(a["name"]), str(a.get("doc", "")), a.get("pc"), a.get("at"),
                      a.get("since"))
              for a in doc.get("actors", ())))
