"""Scenario steps: what the harness driver does, one frozen dataclass per kind of step.

String argument values of a :class:`Cmd` may use two placeholders, filled in by the harness:

* ``{src_uri}`` -- the URI the source migrates to (proxy (a)'s unix socket);
* ``{dst_uri}`` -- the destination's current listening URI (see :class:`NewDstSocket`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

SIDES = ("src", "dst")
EXPECT = ("ok", "error", "any")
PLACEHOLDERS = ("{src_uri}", "{dst_uri}")


def _side(side: str) -> None:
    if side not in SIDES:
        raise ValueError(f"side must be 'src' or 'dst', not {side!r}")


def _positive(name: str, value: float, *, zero: bool = False) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError(f"{name} must be a number, not {value!r}")
    if value < 0 or (value == 0 and not zero):
        raise ValueError(f"{name} must be {'>= 0' if zero else '> 0'}, not {value!r}")


@dataclass(frozen=True)
class Cmd:
    """Run QMP command ``name`` on ``side``; ``expect`` says whether it must succeed or fail."""

    side: str
    name: str
    args: tuple[tuple[str, Any], ...] = field(default=())
    expect: str = "ok"

    def __post_init__(self) -> None:
        _side(self.side)
        if not isinstance(self.name, str) or not self.name:
            raise ValueError("command name must be a non-empty string")
        if isinstance(self.args, Mapping):
            object.__setattr__(self, "args", tuple(self.args.items()))
        for item in self.args:
            if not (isinstance(item, tuple) and len(item) == 2 and isinstance(item[0], str)):
                raise ValueError(f"command args must be (name, value) pairs, not {item!r}")
        if self.expect not in EXPECT:
            raise ValueError(f"expect must be one of {EXPECT}, not {self.expect!r}")

    def arguments(self, **subst: str) -> dict[str, Any] | None:
        """The arguments as a dict, placeholders filled from ``subst`` (src_uri, dst_uri)."""
        if not self.args:
            return None
        out = {}
        for k, v in self.args:
            if isinstance(v, str) and "{" in v:
                v = v.format(**subst)
            out[k] = v
        return out


@dataclass(frozen=True)
class Break:
    """Kill proxy (b) (and its forked connections): the path from (a) to dst is broken."""


@dataclass(frozen=True)
class Heal:
    """Start proxy (b) again, toward the destination's current socket."""


@dataclass(frozen=True)
class NewDstSocket:
    """Choose a new destination socket path for ``{dst_uri}`` (for migrate-recover);
    proxy (b), if running, is restarted to forward to it."""


@dataclass(frozen=True)
class WaitEvent:
    """Wait for a MIGRATION event with ``status`` on ``side`` (after the last one waited for)."""

    side: str
    status: str
    timeout: float = 30.0

    def __post_init__(self) -> None:
        _side(self.side)
        if not isinstance(self.status, str) or not self.status:
            raise ValueError("status must be a non-empty string")
        _positive("timeout", self.timeout)


@dataclass(frozen=True)
class Quiet:
    """Wait until neither side sent an event for ``seconds``; records a ``quiet`` mark."""

    seconds: float
    timeout: float = 30.0

    def __post_init__(self) -> None:
        _positive("seconds", self.seconds)
        _positive("timeout", self.timeout)
        if self.timeout < self.seconds:
            raise ValueError("timeout must be at least seconds")


@dataclass(frozen=True)
class Sleep:
    seconds: float

    def __post_init__(self) -> None:
        _positive("seconds", self.seconds, zero=True)


Step = Cmd | Break | Heal | NewDstSocket | WaitEvent | Quiet | Sleep
STEP_TYPES = (Cmd, Break, Heal, NewDstSocket, WaitEvent, Quiet, Sleep)


def cmd(side: str, name: str, args: Mapping[str, Any] | None = None, expect: str = "ok") -> Cmd:
    return Cmd(side, name, tuple((args or {}).items()), expect)


def validate(steps: Iterable[object]) -> tuple[Step, ...]:
    """Check a scenario: a non-empty sequence of steps, consistent in its use of the path."""
    steps = tuple(steps)
    if not steps:
        raise ValueError("a scenario needs at least one step")
    broken = False
    for i, s in enumerate(steps):
        if not isinstance(s, STEP_TYPES):
            raise ValueError(f"step {i}: not a scenario step: {s!r}")
        if isinstance(s, Break):
            if broken:
                raise ValueError(f"step {i}: Break while the path is already broken")
            broken = True
        elif isinstance(s, Heal):
            if not broken:
                raise ValueError(f"step {i}: Heal while the path is not broken")
            broken = False
        elif isinstance(s, Cmd):
            for _, v in s.args:
                if isinstance(v, str) and "{" in v:
                    try:
                        v.format(src_uri="", dst_uri="")
                    except (KeyError, IndexError, ValueError) as e:
                        raise ValueError(
                            f"step {i}: bad placeholder in {v!r} (use {PLACEHOLDERS})"
                        ) from e
    return steps
