"""The named real-QEMU scenarios, each built for one QEMU version.

* ``normal``  -- 2 s of precopy, ``migrate-start-postcopy``, completed on both sides.
* ``recover`` -- postcopy, ``migrate-pause`` on src, both postcopy-paused, ``migrate-recover``
  on dst (a new socket, reached through the proxies), ``migrate resume=true`` on src, completed.
* ``broken``  -- postcopy, pause, kill proxy (b) so that the recovery connection is accepted by
  proxy (a) but broken further along (QEMU commit f8c543e808's recipe), recover + resume:
  7.2 stays in postcopy-recover (a quiet period, then ``migrate-pause`` is refused and the run
  ends by killing the processes); 10.0 falls back to postcopy-paused, then the path is healed
  and a second recovery completes.
"""

from __future__ import annotations

from .binaries import check_version
from .steps import Break, Heal, NewDstSocket, Quiet, Sleep, Step, WaitEvent, cmd, validate

SCENARIOS = ("normal", "recover", "broken")
PRECOPY_SECONDS = 2.0
POSTCOPY_TIMEOUT = 40.0  # postcopy itself lasts ~9-12 s at 4 MiB/s


def _start_postcopy() -> list[Step]:
    return [
        cmd("src", "migrate", {"uri": "{src_uri}"}),
        WaitEvent("src", "active", 15),
        Sleep(PRECOPY_SECONDS),
        cmd("src", "migrate-start-postcopy"),
        WaitEvent("src", "postcopy-active", 15),
        WaitEvent("dst", "postcopy-active", 15),
        Sleep(1.0),
    ]


def _pause() -> list[Step]:
    return [
        cmd("src", "migrate-pause"),
        WaitEvent("src", "postcopy-paused", 10),
        WaitEvent("dst", "postcopy-paused", 10),
    ]


def _recover(expect_resume: str = "ok") -> list[Step]:
    return [
        NewDstSocket(),
        cmd("dst", "migrate-recover", {"uri": "{dst_uri}"}),
        cmd("src", "migrate", {"uri": "{src_uri}", "resume": True}, expect=expect_resume),
    ]


def _complete() -> list[Step]:
    return [
        WaitEvent("src", "completed", POSTCOPY_TIMEOUT),
        WaitEvent("dst", "completed", POSTCOPY_TIMEOUT),
    ]


def _query_both() -> list[Step]:
    return [cmd("src", "query-migrate"), cmd("dst", "query-migrate")]


def build(scenario: str, version: str) -> tuple[Step, ...]:
    """The steps of ``scenario`` for QEMU ``version`` ("7.2" or "10.0")."""
    check_version(version)
    if scenario not in SCENARIOS:
        raise ValueError(f"unknown scenario {scenario!r} (expected one of {', '.join(SCENARIOS)})")
    steps: list[Step] = _start_postcopy()
    if scenario == "normal":
        steps += _complete()
    elif scenario == "recover":
        steps += _pause()
        steps += _recover()
        steps += [WaitEvent("src", "postcopy-active", 10), WaitEvent("dst", "postcopy-active", 10)]
        steps += _complete()
    else:  # broken
        steps += _pause()
        steps += [Break()]
        steps += _recover()
        if version == "7.2":
            steps += [
                WaitEvent("src", "postcopy-recover", 10),
                Quiet(3.0, timeout=15),
                cmd("src", "migrate-pause", expect="error"),
                cmd("src", "migrate", {"uri": "{src_uri}", "resume": True}, expect="error"),
            ]
        else:
            steps += [
                WaitEvent("src", "postcopy-recover-setup", 10),
                WaitEvent("src", "postcopy-recover", 10),
                WaitEvent("src", "postcopy-paused", 10),
                Quiet(1.0, timeout=15),
                NewDstSocket(),
                Heal(),
                cmd("dst", "migrate-recover", {"uri": "{dst_uri}"}),
                cmd("src", "migrate", {"uri": "{src_uri}", "resume": True}),
                WaitEvent("src", "postcopy-active", 10),
                WaitEvent("dst", "postcopy-active", 10),
            ]
            steps += _complete()
    steps += _query_both()
    return validate(steps)
