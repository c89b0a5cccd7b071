"""Counterexample replay: run a model trace (ITF, saved by `migcheck check`) on real QEMU.

The admin's commands and the network's failures are replayed; the threads' own steps are
left to QEMU, which is only told to wait for the status changes the model says come next.
The real run is recorded, validated against the model version of that QEMU, and its end
compared with the model's.

How model steps become harness steps (realqemu.steps):

  model step                          harness steps
  ----------------------------------  -------------------------------------------------
  admin "dst: migrate-incoming"       none: the harness's set-up issues it
  admin "dst: migrate-recover"        NewDstSocket, then the command with {dst_uri}
  admin "src: migrate[ resume=true]"  the command with {src_uri} (and resume: true); if
                                      this connection is the one the model breaks with
                                      "path fails before the destination accepts" (before
                                      a DST_ACCEPTS step), the path is broken first
                                      (Break), otherwise healed (Heal)
  other admin commands                the command; expect ok / error as the model says
  network "main channel fails"        Sleep 1 s (the destination has run the package:
                                      the model's no-failure-in-switchover), then Break
                                      (proxy (b) and its connections are killed)
  network "path fails before ..."     nothing at that step (see migrate above)
  a step changing a status variable   WaitEvent(side, status); Action.events extras (7.2's
                                      `setup` on migrate-recover) are version quirks and
                                      are not waited for
  the repeated part (stuck/lasso)     Quiet 3 s, its admin commands once (expect any: a
                                      QEMU that is not stuck may accept them), Quiet 1 s
  end                                 query-migrate on both sides

Verdict: "reproduced" when the real run's final query-migrate statuses equal the model's
final statuses; "not reproduced, recovered" when they differ and the source ended in a
status from which the migration goes on (RECOVERED); otherwise "not reproduced, diverged".
"""

from __future__ import annotations

import re
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from migcheck.checker.trace import Step as ModelStep, Trace
from migcheck.model.versions import BUILT_IN
from migcheck.model.vocab import MigrationStatus
from migcheck.realqemu.binaries import VERSIONS, QemuBuild, find_qemu, unavailable_reason
from migcheck.realqemu.harness import ScenarioError, run_harness
from migcheck.realqemu.steps import (
    Break,
    Heal,
    NewDstSocket,
    Quiet,
    Sleep,
    WaitEvent,
    cmd,
    validate as validate_steps,
)
from migcheck.realqemu.trace import TraceWriter, read_trace, replies_to
from migcheck.validate import build, model_for, validate_file

CONNECTS = ("migrate",)  # src commands that open a new main channel
INCOMING = "migrate-incoming"
RECOVER_CMD = "migrate-recover"
CHANNEL_FAILS = "network: main channel fails"
FAILS_BEFORE_ACCEPT = "network: path fails before the destination accepts"
DST_ACCEPTS = ("migration_ioc_process_incoming", "postcopy_try_recover")
SETTLE_SECONDS = 1.0
QUIET_SECONDS = 3.0
EVENT_TIMEOUT = 20.0
RECOVERED = ("postcopy-paused", "postcopy-active", "completed")
REPLAY_DIR = Path("reports/replay")


class ReplayError(ValueError):
    """A trace that cannot be replayed (one line for the user)."""


@dataclass
class Outcome:
    verdict: str  # "reproduced" | "not reproduced, recovered" | "not reproduced, diverged"
    model_end: dict[str, str]
    real_end: dict[str, str]
    trace_path: Path
    qemu: str
    validated: bool | None
    validated_model: str | None
    error: str | None
    detail: str


def _args(step: ModelStep, uri: str) -> dict:
    """The QMP arguments of a replayed command: the model's own (resume: true) plus the URI."""
    assert step.call is not None
    return {"uri": uri, **dict(step.call.args)}


def _status_events(trace: Trace, i: int, status_vars: dict[str, str]) -> list[tuple[str, str]]:
    """The status changes of step i (not the Action.events extras)."""
    before, after = trace.steps[i - 1].state, trace.steps[i].state
    out = []
    for side, var in status_vars.items():
        if before.get(var) != after.get(var):
            out.append((side, _qapi(after[var])))
    return out


def _fails_before_accept(trace: Trace, i: int, end: int) -> bool:
    """Is the connection made after step i broken by the network before the dst accepts it?"""
    for step in trace.steps[i + 1:end]:
        if step.action == FAILS_BEFORE_ACCEPT:
            return True
        if step.action in DST_ACCEPTS:
            return False
        if step.call is not None and step.call.name in CONNECTS:
            return False
    return False


def status_vars(trace: Trace) -> dict[str, str]:
    """Side -> the variable holding its MigrationStatus (from the model that wrote it)."""
    name = trace.model if trace.model in {v.name for v in BUILT_IN} else "qemu-8.2"
    model = build(name, 0)
    return {v.event: v.name for v in model.variables if v.event}


def scenario(trace: Trace) -> list:
    """The realqemu steps that replay `trace` (see the table in the module docstring)."""
    svars = status_vars(trace)
    end = len(trace.steps) if trace.loop_start is None else trace.loop_start + 1
    steps: list = []
    broken = False
    for i in range(1, end):
        step = trace.steps[i]
        if step.call is not None:
            side, name = step.call.target, step.call.name
            expect = "error" if step.refused else "ok"
            if name == INCOMING and not step.refused:
                continue
            if name == RECOVER_CMD:
                steps += [NewDstSocket(), cmd(side, name, _args(step, "{dst_uri}"), expect)]
            elif side == "src" and name in CONNECTS:
                args = _args(step, "{src_uri}")
                if not step.refused:
                    want_broken = _fails_before_accept(trace, i, len(trace.steps))
                    if want_broken and not broken:
                        steps.append(Break())
                    elif broken and not want_broken:
                        steps.append(Heal())
                    broken = want_broken
                steps.append(cmd(side, name, args, expect))
            else:
                steps.append(cmd(side, name, None, expect))
        elif step.action == CHANNEL_FAILS and not broken:
            steps += [Sleep(SETTLE_SECONDS), Break()]
            broken = True
        for side, status in _status_events(trace, i, svars):
            steps.append(WaitEvent(side, status, EVENT_TIMEOUT))
    if trace.loop_start is not None:
        steps.append(Quiet(QUIET_SECONDS, timeout=EVENT_TIMEOUT))
        for step in trace.steps[trace.loop_start + 1:]:
            call = step.call
            if call is not None and call.name != INCOMING:
                uri = {"src": "{src_uri}", "dst": "{dst_uri}"}[call.target]
                args = _args(step, uri) if call.name in (*CONNECTS, RECOVER_CMD) else None
                steps.append(cmd(call.target, call.name, args, "any"))
        steps.append(Quiet(SETTLE_SECONDS, timeout=EVENT_TIMEOUT))
    steps += [cmd("src", "query-migrate"), cmd("dst", "query-migrate")]
    return list(validate_steps(steps))



def qemu_build(spec: str):
    """`7.2`, `10.0` or the path of a qemu-system-x86_64 binary -> (version, QemuBuild)."""
    if spec in VERSIONS:
        return spec, find_qemu(spec)
    path = Path(spec)
    if not path.is_file():
        raise ReplayError(f"--qemu {spec!r}: neither {', '.join(VERSIONS)} nor a QEMU binary")
    try:
        out = subprocess.run([str(path), "--version"], capture_output=True, text=True,
                             timeout=20).stdout
    except (OSError, subprocess.SubprocessError) as exc:
        raise ReplayError(f"--qemu {spec}: does not run ({exc})") from None
    m = re.search(r"version (\d+)\.(\d+)", out)
    if not m or f"{m[1]}.{m[2]}" not in VERSIONS:
        raise ReplayError(f"--qemu {spec}: not QEMU {' or '.join(VERSIONS)}: {out[:60]!r}")
    version = f"{m[1]}.{m[2]}"
    return version, QemuBuild(version, path, find_qemu(version).firmware_dirs)


def final_statuses(trace: Trace) -> dict[str, str]:
    svars = status_vars(trace)
    last = trace.steps[-1].state if trace.loop_start is None else \
        trace.steps[trace.loop_start].state
    return {side: _qapi(last[var]) for side, var in svars.items()}


def _qapi(name: object) -> str:
    """An enum member's name in a saved trace -> the string QMP uses for it."""
    member = MigrationStatus.__members__.get(str(name))
    return member.qapi if member is not None else str(name)


def real_statuses(path: Path) -> dict[str, str]:
    """The last query-migrate status of each side in a realqemu trace."""
    records = read_trace(path)
    out = {}
    for side in ("src", "dst"):
        for _, reply in replies_to(records, side, "query-migrate"):
            status = (reply.get("return") or {}).get("status")
            if status:
                out[side] = status
    return out


def replay(trace: Trace, qemu: str, out_dir: Path = REPLAY_DIR, name: str = "") -> Outcome:
    """Run `trace` on real QEMU (`qemu` as for --qemu), record, validate, compare."""
    version, build = qemu_build(qemu)
    steps = scenario(trace)
    reason = unavailable_reason(version)
    if reason and qemu == version:
        raise ReplayError(f"real QEMU {version} unavailable: {reason}")
    out_dir.mkdir(parents=True, exist_ok=True)
    stem = re.sub(r"[^A-Za-z0-9_.+-]", "_", name or f"{trace.model}--{trace.property}")[:120]
    path = out_dir / f"{stem}--on-qemu-{version}.jsonl"
    error = None
    with tempfile.TemporaryDirectory(prefix="migcheck-replay-") as d, TraceWriter(path) as rec:
        rec.mark("start", scenario=f"replay {stem}", qemu=version,
                 version=build.version_string(), binary=str(build.binary))
        try:
            run_harness(build, steps, rec, Path(d))
        except ScenarioError as exc:
            error = str(exc)
    return judge(trace, path, version, error)


def judge(trace: Trace, path: Path, version: str, error: str | None) -> Outcome:
    """Validate the real run and compare its end with the model's."""
    model_end, real_end = final_statuses(trace), real_statuses(path)
    own = model_for(version)
    validated = None
    if own is not None:
        match, _ = validate_file(path, own)
        validated = match.accepted
    if error is None and real_end == model_end:
        verdict = "reproduced"
        detail = "the real run ends where the model's does"
    elif real_end.get("src") in RECOVERED and real_end != model_end:
        verdict = "not reproduced, recovered"
        detail = (f"the source ended in {real_end.get('src')}, the model's stays in"
                  f" {model_end.get('src')}")
    else:
        verdict = "not reproduced, diverged"
        detail = error or f"real end {real_end}, model end {model_end}"
    return Outcome(verdict, model_end, real_end, path, version, validated, own, error, detail)
