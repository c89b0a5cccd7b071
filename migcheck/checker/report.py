"""One Report for every engine: what was checked, how, within which bound, and the verdicts.

The explorer (`check`), z3 (`prove`), Hypothesis (`fuzz`), trace validation (`validate`) and
the comparison of two models (`diff`) all end in a `Report`; the terminal summary and the
JSON, JUnit, SARIF and HTML writers read only Reports, so every engine gets every output.
A Report holds plain data (no model object), so it round-trips through its JSON form.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

from migcheck.checker.kinds import Property
from migcheck.checker.spec import Model
from migcheck.checker.statusgraph import StatusGraph
from migcheck.checker.trace import Trace

SOURCE_LINKS = "source-links"
"""The `Model.meta` key where the application says how to link to the implementation: a
mapping with URL templates "function" (placeholder {function}) and "file" ({path}) for the
"file.c:function" each action cites."""

SCHEMA_VERSION = 1


class Verdict(enum.Enum):
    HOLDS = "holds"  # checked over the whole stated bound
    PROVED = "proved"  # for every bound (z3)
    VIOLATED = "violated"
    WITNESSED = "witnessed"
    NOT_WITNESSED = "not witnessed"
    UNKNOWN = "unknown"
    NO_COUNTEREXAMPLE = "no counterexample"  # tested (at random), nothing found, not proved
    NOT_APPLICABLE = "n/a"  # this engine does not decide this kind of property

    @property
    def ok(self) -> bool:
        return self in (Verdict.HOLDS, Verdict.PROVED, Verdict.WITNESSED,
                        Verdict.NO_COUNTEREXAMPLE, Verdict.NOT_APPLICABLE)

    @property
    def failed(self) -> bool:
        return self in (Verdict.VIOLATED, Verdict.NOT_WITNESSED)


@dataclass(frozen=True)
class PropertyResult:
    name: str
    kind: str
    statement: str
    rests_on: str
    verdict: Verdict
    method: str  # how this verdict was reached ("exhaustive BFS", "inductive invariant", ...)
    detail: str = ""
    trace: Trace | None = None
    trace_file: str | None = None
    seconds: float = 0.0
    why: tuple[str, ...] = ()  # the lemmas or ranking behind a proof
    site: tuple[str, int] = ("", 0)  # where the property is declared

    @staticmethod
    def of(prop: Property, verdict: Verdict, method: str, detail: str = "",
           trace: Trace | None = None, seconds: float = 0.0,
           why: tuple[str, ...] = ()) -> PropertyResult:
        return PropertyResult(prop.name, prop.kind, prop.statement, prop.rests_on, verdict,
                              method, detail, trace, None, seconds, why, prop.site)


@dataclass(frozen=True)
class ActionInfo:
    """Where an action is written, and the changes of later layers that touched it (for SARIF:
    a violation points at the change that causes it)."""

    actor: str
    source: tuple[str, int]
    changes: tuple[tuple[str, str, tuple[str, int]], ...] = ()  # (layer, what, where)


@dataclass(frozen=True)
class ModelInfo:
    name: str
    doc: str
    params: dict[str, object]
    bounds: tuple[str, ...]
    assumptions: tuple[tuple[str, str], ...]  # (name, statement)
    layers: tuple[str, ...] = ()
    actions: dict[str, ActionInfo] = field(default_factory=dict)
    links: dict[str, str] = field(default_factory=dict)  # see SOURCE_LINKS

    @staticmethod
    def of(model: Model) -> ModelInfo:
        links = model.meta.get(SOURCE_LINKS, {})
        return ModelInfo(
            model.name, model.doc, dict(model.params), tuple(model.bounds),
            tuple((a.name, a.doc) for a in model.assumptions), tuple(model.layers),
            {a.name: ActionInfo(a.actor, a.source, a.touched[1:]) for a in model.actions},
            {str(k): str(v) for k, v in links.items()})  # type: ignore[attr-defined]

    def describe(self) -> str:
        """The model and its parameters in one line: `name, failures <= 2, pages 2`."""
        parts = [self.name]
        for key, value in self.params.items():
            parts.append(f"{key} <= {value}" if key == "failures" else
                         (key if value is True else f"{key} {value}"))
        return ", ".join(parts)


@dataclass(frozen=True)
class Coverage:
    """How much of the stated bound an engine covered."""

    complete: bool
    method: str
    statement: str
    states: int | None = None
    transitions: int | None = None
    depth: int | None = None
    seconds: float = 0.0
    interrupted: bool = False
    signal: int = 0  # the signal that interrupted the run (0: unknown, taken as SIGINT)


@dataclass
class Report:
    engine: str  # explore | z3 | fuzz | validate | diff
    model: ModelInfo
    coverage: Coverage
    results: list[PropertyResult]
    seconds: float
    notes: tuple[str, ...] = ()  # engine-specific lines worth printing (lemma counts, ...)
    status_graph: StatusGraph | None = None  # the reachable graph over the status variables

    @property
    def ok(self) -> bool:
        return all(r.verdict.ok for r in self.results)

    @property
    def violated(self) -> list[PropertyResult]:
        return [r for r in self.results if r.verdict.failed]

    @property
    def exit_code(self) -> int:
        """0 all hold, 1 a violation, 3 unknown (incomplete), 128 + the signal's number when
        interrupted (130 SIGINT, 143 SIGTERM), whatever was decided before."""
        if self.coverage.interrupted:
            return 128 + (self.coverage.signal or 2)
        if self.violated:
            return 1
        if not self.coverage.complete or any(r.verdict is Verdict.UNKNOWN
                                             for r in self.results):
            return 3
        return 0

    def counts(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for r in self.results:
            out[r.verdict.value] = out.get(r.verdict.value, 0) + 1
        return out

    def result(self, name: str) -> PropertyResult | None:
        return next((r for r in self.results if r.name == name), None)

    def exit_code_with(self, expectations: tuple[Expectation, ...]) -> int:
        """With expectations, 0 exactly when every one is met (1 when one is not; 3 or 130
        when one is undecided because the run was incomplete); without, `exit_code`."""
        if not expectations:
            return self.exit_code
        met = [e.met_by(self.result(e.property)) for e in expectations]
        if all(m is True for m in met):
            return 0
        if any(m is False for m in met):
            return 1
        return 130 if self.coverage.interrupted else 3


@dataclass(frozen=True)
class Expectation:
    """`--expect PROPERTY=violated|holds`: what a CI job knows the outcome must be (a known
    bug still found, a fix still holding)."""

    property: str
    outcome: str  # one of OUTCOMES

    OUTCOMES = ("violated", "holds")

    def met_by(self, result: PropertyResult | None) -> bool | None:
        """True or False; None when the verdict is undecided (unknown) or missing."""
        if result is None or result.verdict in (Verdict.UNKNOWN, Verdict.NOT_APPLICABLE):
            return None
        return result.verdict.failed == (self.outcome == "violated")

    def describe(self) -> str:
        return f"{self.property}={self.outcome}"
