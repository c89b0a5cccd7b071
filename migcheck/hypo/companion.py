"""The reference page-transfer core as the fuzz engine's companion: model and core run in
lockstep through the refinement mapping (pagecore_map), and after every step the core's
abstract page state must equal the model's and the core's own checks must hold."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from migcheck.checker.compile import CompiledModel
from migcheck.checker.hypo import REFINEMENT, Companion
from migcheck.checker.spec import Model
from migcheck.hypo import pagecore_map as cmap
from migcheck.model import meta
from migcheck.model.pages import in_m2d
from migcheck.pagecore import PageCore


@dataclass
class PageCompanion:
    """One run's core, for a model with `n` pages and the core faults matching the model."""

    n: int
    faults: tuple[str, ...]
    on_main: list[Callable[[tuple], bool]]
    core: PageCore = field(init=False)

    def __post_init__(self) -> None:
        self.core = PageCore(self.n, faults=self.faults, max_writes=1, max_breaks=1000)

    def plan(self, action: str, before: dict, after: dict) -> object | None:
        return cmap.core_plan(action, before, after, self.core)

    def take(self, action: str, plan: object) -> None:
        cmap.run_plan(action, plan, self.core)  # type: ignore[arg-type]

    def mismatch(self, decoded: dict, state: tuple) -> list[tuple[str, str]]:
        bad = cmap.abstract_mismatch(decoded, self.core, self.n, lambda p: self.on_main[p](state))
        if bad:
            return [(REFINEMENT, "; ".join(bad))]
        for name, check in cmap.CORE_CHECKS.items():
            found = check(self.core)
            if found:
                return [(name, f"(pagecore) {found[0]}")]
        return []


def companion_for(model: Model) -> Callable[[], Companion]:
    """A factory of fresh companions (one per Hypothesis run) for a model with pages."""
    n = meta.pages(model)
    compiled = CompiledModel(model)
    on_main = [compiled.predicate(in_m2d(p)) for p in range(n)]
    faults = cmap.FAULT_OF_MODEL.get(model.name, ())
    return lambda: PageCompanion(n, faults, on_main)
