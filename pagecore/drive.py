"""Drivers: replay a step list, or walk enabled steps with a seeded RNG."""

from __future__ import annotations

import random
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from pagecore.core import PageCore


@dataclass(frozen=True)
class WalkResult:
    trace: tuple[str, ...]
    violations: tuple[str, ...]  # first violating state's messages, or ()
    completed: bool
    deadlocked: bool  # no step enabled and not both completed


def replay(core: PageCore, steps: Iterable[str], check: bool = True) -> list[str]:
    """Run ``steps`` in order; return the violations seen after any step."""
    seen: list[str] = []
    for s in steps:
        core.step(s)
        if check:
            seen.extend(v for v in core.check_invariants() if v not in seen)
    return seen


def random_walk(core: PageCore, rng: random.Random, max_steps: int = 10_000,
                weights: Mapping[str, float] | None = None) -> WalkResult:
    """Pick among enabled steps until none is enabled or a check fails.

    ``weights`` maps step names (without arguments) to relative weights
    (default 1.0), e.g. to make breaks likelier than early completion.
    """
    for _ in range(max_steps):
        enabled = core.enabled_steps()
        if not enabled:
            break
        if weights:
            w = [weights.get(s.split("(")[0], 1.0) for s in enabled]
            core.step(rng.choices(enabled, weights=w)[0])
        else:
            core.step(rng.choice(enabled))
        bad = core.check_invariants()
        if bad:
            return WalkResult(tuple(core.trace), tuple(bad), core.completed(), False)
    done = core.completed()
    stuck = not done and not core.enabled_steps()
    return WalkResult(tuple(core.trace), (), done, stuck)
