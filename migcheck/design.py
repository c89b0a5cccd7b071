"""Everything a protocol designer's proposal file needs, in one import.

A proposal is a Python file anywhere that defines `Version`s: a name, the version it is based
on, a summary, and a function from the configuration to a list of changes (and, optionally,
its own properties).  Check it with `migcheck check --model path/to/file.py`; compare it with
`migcheck diff qemu-7.2 path/to/file.py`.  docs/designing.md walks through three examples.

    from migcheck.design import Edit, Version, MS, ite, post, rp_sem, src_state

    def changes(config):
        return [Edit("source_return_path_thread: read error", why="kick rp_sem on exit",
                     assign={"rp_sem": ite(src_state.eq(MS.POSTCOPY_RECOVER),
                                           post(rp_sem), rp_sem)})]

    KICK = Version("qemu-7.2+kick", "qemu-7.2", "7.2 plus the exit kick", changes)

What is here:
* changes (migcheck.checker.edit): Edit (guard, strengthen, assign, drop, fields),
  AddActions, RemoveAction, AddVariables, AddMembers (a new MigrationStatus or program
  point), Widen (a domain), AddActors (a new thread), AddWaits, AddAssumption,
  DropAssumption, AddValidEnd, SetMeta (with `allow` for the transition tables), Sequential
  and Split (threads with program counters, non-atomic steps), Coupling;
* model pieces (migcheck.checker.spec): StateVar, Actor, ActorKind, Action, Call, Wait,
  Assumption and the domains; `member(kind, name, label)` makes a new symbol;
* the expression language (migcheck.checker.expr): Var, ite, all_of, any_of, TRUE, FALSE;
* property kinds (migcheck.checker.kinds): Invariant, StepInvariant, NoDeadlock,
  LeavesEventually, Escapable, WaitsHavePosters, Sometimes, next_;
* QEMU's vocabulary and the model's helpers: the state variables (`src_state`, `rp_sem`,
  ...), the enums (MS = MigrationStatus, MigThread, RpThread, ...), `act`, `post`, `take`,
  `first_error`, `send_main`, `send_rp`, `shutdown`, the actor names, `Version`, `Config`,
  and `allow`, `TRANSITIONS`, `IN_FLIGHT`, `Place` for the annotations properties read.
"""

from __future__ import annotations

from migcheck.checker.edit import (
    AddActions,
    AddActors,
    AddAssumption,
    AddMembers,
    AddValidEnd,
    AddVariables,
    AddWaits,
    Change,
    Coupling,
    DropAssumption,
    Edit,
    RemoveAction,
    Sequential,
    SetMeta,
    Split,
    Widen,
)
from migcheck.checker.expr import FALSE, TRUE, Symbol, Var, all_of, any_of, ite
from migcheck.checker.kinds import (
    Escapable,
    Invariant,
    LeavesEventually,
    NoDeadlock,
    Sometimes,
    StepInvariant,
    WaitsHavePosters,
    next_,
)
from migcheck.checker.spec import (
    Action,
    Actor,
    ActorKind,
    Assumption,
    BoolDomain,
    Call,
    EnumDomain,
    IntDomain,
    StateVar,
    TupleDomain,
    Wait,
)
from migcheck.model.config import Config
from migcheck.model.destination import FAULT as DST_FAULT, LISTEN as DST_LISTEN, MAIN as DST_MAIN
from migcheck.model.dsl import act, first_error, post, send_main, send_rp, shutdown, take
from migcheck.model.meta import IN_FLIGHT, TRANSITIONS, Place, allow
from migcheck.model.network import NET
from migcheck.model.source import MAIN as SRC_MAIN, MIG as SRC_MIG, RP as SRC_RP
from migcheck.model.state import (
    connecting,
    dst_state,
    failures,
    fault,
    from_src_file,
    listen,
    listening,
    load,
    mig,
    postcopy_bmap_sync_requested,
    postcopy_pause_sem,
    postcopy_pause_sem_dst,
    postcopy_pause_sem_fault,
    postcopy_state,
    recovered,
    rp,
    rp_sem,
    rp_threads,
    sock,
    src_error,
    src_state,
    start_postcopy,
    to_dst_file,
    to_src_file,
)
from migcheck.model.versions import Version
from migcheck.model.vocab import (
    FaultThread,
    FileRef,
    ListenThread,
    LoadThread,
    MigCmd,
    MigrationStatus,
    MigThread,
    PostcopyState,
    RpMsg,
    RpThread,
    Sock,
    SrcError,
)

MS = MigrationStatus
ADMIN = "admin"


def member(kind: str, name: str, label: str = "") -> Symbol:
    """A new member of a kind of symbol (add it to the model with AddMembers)."""
    return Symbol(kind, name, label or name.lower().replace("_", "-"))


__all__ = [
    "ADMIN", "DST_FAULT", "DST_LISTEN", "DST_MAIN", "FALSE", "IN_FLIGHT", "MS", "NET",
    "SRC_MAIN", "SRC_MIG", "SRC_RP", "TRANSITIONS", "TRUE",
    "Action", "Actor", "ActorKind", "AddActions", "AddActors", "AddAssumption", "AddMembers",
    "AddValidEnd", "AddVariables", "AddWaits", "Assumption", "BoolDomain", "Call", "Change",
    "Config", "Coupling", "DropAssumption", "Edit", "EnumDomain", "Escapable", "FaultThread",
    "FileRef", "IntDomain", "Invariant", "LeavesEventually", "ListenThread", "LoadThread",
    "MigCmd", "MigThread", "MigrationStatus", "NoDeadlock", "Place", "PostcopyState",
    "RemoveAction", "RpMsg", "RpThread", "SetMeta", "Sequential", "Sock", "Sometimes", "Split",
    "SrcError", "StateVar", "StepInvariant", "Symbol", "TupleDomain", "Var", "Version", "Wait",
    "WaitsHavePosters", "Widen", "act", "all_of", "allow", "any_of", "connecting",
    "dst_state", "failures", "fault", "first_error", "from_src_file", "ite", "listen",
    "listening", "load", "member", "mig", "next_", "post", "postcopy_bmap_sync_requested",
    "postcopy_pause_sem", "postcopy_pause_sem_dst", "postcopy_pause_sem_fault",
    "postcopy_state", "recovered", "rp", "rp_sem", "rp_threads", "send_main", "send_rp",
    "shutdown", "sock", "src_error", "src_state", "start_postcopy", "take", "to_dst_file",
    "to_src_file",
]
