""""Why stuck" in one paragraph, from what a trace carries: the diagnosis of its end state
(`checker.stuck`: sleepers, their posters, where the posters' threads are) and the operator's
commands refused there (the steps after the end, with the implementation's replies).

Returned as sentences of plain text; a view escapes and styles them.
"""

from __future__ import annotations

from migcheck.checker.stuck import Diagnosis, Poster, Sleeper
from migcheck.checker.trace import Trace

NUMBERS = ("no", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")


def _count(n: int, word: str) -> str:
    return f"{NUMBERS[n] if n < len(NUMBERS) else n} {word}{'' if n == 1 else 's'}"


def _join(items: list[str]) -> str:
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def _who(d: Diagnosis, actor: str) -> str:
    info = d.actor(actor)
    return f"{actor} ({info.doc})" if info is not None and info.doc else actor


def _poster_clause(d: Diagnosis, actor: str, posters: list[Poster]) -> str:
    """Why `actor` does not post: it sleeps itself, sits at another program point, or its
    steps' conditions are false."""
    names = _join([p.action for p in posters])
    head = f"{_who(d, actor)} would post it ({names})"
    asleep = next((s for s in d.sleepers if s.actor == actor), None)
    if asleep is not None:
        return f"{head}, but it sleeps itself, on {asleep.on}"
    info = d.actor(actor)
    starts = {s for p in posters for s in p.starts_at}
    if info is not None and info.at is not None and starts and info.at not in starts:
        since = f" since step {info.since}" if info.since is not None else " from the start"
        return (f"{head}, but it has been at {info.pc} = {info.at}{since} and posts only from"
                f" {_join(sorted(starts))}")
    if info is not None and info.at is not None and starts and info.at in starts or not starts:
        ready = [p.action for p in posters if not p.missing]
        if ready:
            return f"{_who(d, actor)} can post it now ({_join(ready)})"
    needs = [f"{p.action} needs {' and '.join(p.missing)}" for p in posters if p.missing]
    return f"{head}, but {'; '.join(needs)}"


def _sleeper(d: Diagnosis, s: Sleeper) -> str:
    text = f"{s.actor} has waited on {s.on} since step {s.since}"
    if not s.posters:
        return text + ", and no step of another thread posts it from here."
    by_actor: dict[str, list[Poster]] = {}
    for p in s.posters:
        by_actor.setdefault(p.actor, []).append(p)
    only = "only " if len(by_actor) == 1 else ""
    clauses = [_poster_clause(d, a, ps) for a, ps in by_actor.items()]
    return f"{text}: {only}{'; '.join(clauses)}."


def refusals(trace: Trace, after: int) -> list[tuple[str, str]]:
    """(command, reply) of each command refused after step `after`, once each."""
    seen: dict[str, str] = {}
    for step in trace.steps[after + 1:]:
        if step.refused and step.call is not None:
            seen.setdefault(step.call.describe(), step.reply or "")
    return list(seen.items())


def sentences(trace: Trace) -> list[str]:
    """The paragraph, or [] when nobody sleeps at the end of the trace."""
    d = trace.stuck
    if d is None:
        return []
    out = [f"At step {d.end} {_count(len(d.sleepers), 'thread')} "
           f"{'sleeps' if len(d.sleepers) == 1 else 'sleep'}."]
    out += [_sleeper(d, s) for s in d.sleepers]
    refused = refusals(trace, d.end)
    if refused:
        out.append("The operator cannot help: " + _join(
            [f"{command} is refused (\u201c{reply}\u201d)" for command, reply in refused]) + ".")
    return out
