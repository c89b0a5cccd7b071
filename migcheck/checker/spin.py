"""Running SPIN on an exported model, and reading its counterexample trail as a migcheck Trace.

`verify` builds and runs SPIN's verifier (`spin -a`, the C compiler, `pan`) and reads its
statistics.  A replay of a trail (`spin -t FILE`) prints the action number each step
announces; the steps are then replayed through migcheck's own model, so the trace is a
migcheck trace (decoded states, cited functions, events, blocked threads) and a step the model
does not allow is an error, never a silent mismatch.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from migcheck.checker.compile import CompiledModel, DomainError, State
from migcheck.checker.kinds import Invariant
from migcheck.checker.promela import trail_actions
from migcheck.checker.spec import ModelError
from migcheck.checker.trace import Trace
from migcheck.checker.tracebuild import TraceBuilder


class TrailError(ModelError):
    """A trail that cannot be read or replayed: one line for the user."""


@dataclass(frozen=True)
class SpinRun:
    stored: int
    matched: int
    transitions: int  # stored + matched: one more than migcheck's (SPIN counts the initial)
    errors: int
    state_bytes: float  # SPIN's "actual memory usage for states", per stored state
    cpu_seconds: float  # of pan alone (the search)
    peak_rss_mb: float  # of pan alone
    output: str


def available() -> str | None:
    """Why SPIN cannot run here (None: it can)."""
    if shutil.which("spin") is None:
        return "spin is not installed"
    if shutil.which("cc") is None and shutil.which("gcc") is None:
        return "no C compiler (cc, gcc) for SPIN's verifier"
    return None


def verify(pml: Path, cc_flags: tuple[str, ...] = ("-O2",), hash_bits: int = 24,
           timeout: float = 3600) -> SpinRun:
    """spin -a, compile pan.c, run pan (in pml's folder; 2**hash_bits hash slots, the depth
    limit raised until the search fits); its statistics."""
    folder = pml.parent
    cc = shutil.which("cc") or shutil.which("gcc") or "cc"

    def run(cmd: list[str]) -> subprocess.CompletedProcess:
        done = subprocess.run(cmd, cwd=folder, capture_output=True, text=True, timeout=timeout)
        if done.returncode != 0:
            raise TrailError(f"{' '.join(cmd)} failed: {(done.stderr or done.stdout)[-500:]}")
        return done

    run(["spin", "-a", pml.name])
    run([cc, *cc_flags, "-o", "pan", "pan.c"])
    depth = 100_000
    while True:
        with (folder / "pan.out").open("w+") as log:  # pan's own rusage: wait4 on it alone
            proc = subprocess.Popen(["./pan", f"-m{depth}", f"-w{hash_bits}"], cwd=folder,
                                    stdout=log, stderr=subprocess.STDOUT)
            _, _, usage = os.wait4(proc.pid, 0)
            proc.returncode = 0
            log.seek(0)
            out = log.read()
        if "max search depth too small" not in out:
            break
        depth *= 10

    def number(pattern: str) -> float:
        found = re.search(pattern, out)
        return float(found.group(1)) if found else 0.0

    stored = int(number(r"(\d+) states, stored"))
    return SpinRun(
        stored=stored, matched=int(number(r"(\d+) states, matched")),
        transitions=int(number(r"(\d+) transitions \(= stored\+matched\)")),
        errors=int(number(r"errors: (\d+)")),
        state_bytes=number(r"([\d.]+)\s+actual memory usage for states") * 2**20 / max(stored, 1),
        cpu_seconds=usage.ru_utime + usage.ru_stime, peak_rss_mb=usage.ru_maxrss / 1024,
        output=out)


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
