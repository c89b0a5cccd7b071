"""Trace validation: is a run recorded on real QEMU a behaviour of a model version?

The direction opposite to checking: the implementation's log is checked against the model.
observe.py turns a realqemu JSON-lines trace into observations (its docstring holds the
one table mapping each kind of record to what the model must do); search.py finds a model
path explaining them, or the longest one that explains a prefix.
"""

from __future__ import annotations

from pathlib import Path

from migcheck.build import build_model
from migcheck.checker.spec import Model
from migcheck.model.versions import BUILT_IN
from migcheck.validate.observe import Observations, TraceError, observations
from migcheck.validate.search import Match, model_commands, validate

__all__ = ["Match", "Observations", "TraceError", "build", "default_failures", "model_for",
           "observations", "validate", "validate_file"]

def default_failures(obs: Observations, cap: int = 8) -> int:
    """Enough channel failures for the trace: one per break (the connection alive when
    proxy (b) dies) plus one per command issued while the path is broken (each may open a
    connection that then fails before the destination accepts it)."""
    broken, commands = False, 0
    for item in obs.driver:
        if item.kind in ("break", "heal"):
            broken = item.kind == "break"
        elif item.kind == "command" and broken:
            commands += 1
    return min(cap, obs.breaks + commands)


def build(name: str, failures: int) -> Model:
    """The model version, without page variables (real traces carry no page information)."""
    return build_model(name, failures, pages=0)


def model_for(version: str | None) -> str | None:
    """The model version named after a recorded QEMU version ("7.2" -> "qemu-7.2")."""
    name = f"qemu-{version}" if version else None
    return name if name in {v.name for v in BUILT_IN} else None


def validate_file(path: Path, model_name: str, failures: int | None = None) -> tuple[Match,
                                                                                   Observations]:
    """Parse and validate one trace against one model version (raises TraceError)."""
    probe = build(model_name, 0)
    obs = observations(path, model_commands(probe))
    k = default_failures(obs) if failures is None else failures
    model = probe if k == 0 else build(model_name, k)
    return validate(model, obs), obs
