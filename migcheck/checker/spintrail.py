"""A SPIN counterexample trail, as a migcheck Trace.

SPIN replays its trail of an exported model (`spin -t FILE`) and prints the action number
each step announces; the steps are then replayed through migcheck's own model, so the trace
is a migcheck trace (decoded states, QEMU functions, events, blocked threads) and a step
the model does not allow is an error, never a silent mismatch.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from migcheck.checker.compile import CompiledModel, DomainError, State
from migcheck.checker.kinds import Invariant
from migcheck.checker.promela import trail_actions
from migcheck.checker.spec import ModelError
from migcheck.checker.trace import Trace
from migcheck.checker.tracebuild import TraceBuilder


class TrailError(ModelError):
    """A trail that cannot be read or replayed: one line for the user."""


def replay_actions(pml: Path) -> list[int]:
    """Run `spin -t` on the exported model next to its trail; the actions it announces."""
    spin = shutil.which("spin")
    if spin is None:
        raise TrailError("reading a SPIN trail needs spin on the PATH")
    done = subprocess.run([spin, "-t", pml.name], cwd=pml.parent, capture_output=True,
                          text=True, timeout=600)
    if done.returncode != 0 and not done.stdout:
        raise TrailError(f"spin -t {pml} failed: {done.stderr.strip()[:300]}")
    return trail_actions(done.stdout)


def to_trace(compiled: CompiledModel, actions: list[int], invariants: list[Invariant],
             origin: str) -> Trace:
    """Replay `actions` from the initial state; the trace ends where an invariant fails (or
    where a step would leave a variable's domain)."""
    state: State = compiled.model.initial()
    path: list[tuple[int | None, State]] = [(None, state)]
    checks = [(p, compiled.predicate(p.predicate)) for p in invariants]
    builder = TraceBuilder(compiled)
    for n, action in enumerate(actions, 1):
        if not 0 <= action < len(compiled.actions):
            raise TrailError(f"{origin}: step {n} names action {action}, which the model lacks")
        try:
            nxt = next((s for a, s in compiled.successors(state) if a == action), None)
        except DomainError as exc:
            name = compiled.actions[exc.action].name
            return builder.build("in-domain", "invariant", path, engine="spin",
                                 summary=f"the next step, {name!r}, would set {exc.var} to"
                                         f" {exc.value!r}")
        if nxt is None:
            raise TrailError(f"{origin}: step {n}, {compiled.actions[action].name!r}, is not"
                             " enabled in the model: the export and the model differ")
        state = nxt
        path.append((action, state))
    failed = [p.name for p, holds in checks if not holds(state)]
    name = failed[0] if failed else "spin-trail"
    summary = (f"{', '.join(failed)} fails in the last state" if failed
               else "the trail ends here (no migcheck invariant fails)")
    return builder.build(name, "invariant", path, summary=summary, engine="spin")
