"""PageCore: the executable reference core, one method per atomic step.

The caller chooses the schedule: ``enabled_steps()`` lists the steps enabled
now as strings such as ``"guest_write(1)"`` or ``"ram_load_postcopy(preempt)"``,
and ``step(name)`` runs one of them.  Every step method raises
``StepNotEnabled`` when its guard (``can(name)``) is false, so any list of step
names replays deterministically.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from migcheck.pagecore import destination as D, source as S
from migcheck.pagecore.abstraction import CoreAbs, abstract
from migcheck.pagecore.channel import Network
from migcheck.pagecore.destination import Destination
from migcheck.pagecore.source import Source

FAULTS = frozenset({"no-bitmap-rebuild", "no-request-resend", "mark-before-place", "no-discard"})

# (step name, argument kind, owner): the kind is "" none, "page" a page index, "chan"
# main|preempt; the owner runs the step: the source, the destination, or the core itself (the
# network's failures, which touch both ends).
STEPS: tuple[tuple[str, str, str], ...] = (
    # source guest + migration thread
    ("guest_write", "page", "src"),
    ("migration_bitmap_sync", "", "src"),
    ("get_queued_page", "", "src"),
    ("ram_save_host_page", "", "src"),
    ("postcopy_start", "", "src"),
    ("migration_completion", "", "src"),
    ("postcopy_pause", "", "src"),
    ("migrate_fd_connect", "", "src"),
    ("ram_dirty_bitmap_sync_all", "", "src"),
    ("postcopy_resume_handshake", "", "src"),
    # source return-path thread
    ("ram_save_queue_pages", "", "src"),
    ("ram_dirty_bitmap_reload", "", "src"),
    ("migrate_handle_rp_resume_ack", "", "src"),
    # destination
    ("ram_load_precopy", "", "dst"),
    ("ram_discard_range", "", "dst"),
    ("loadvm_postcopy_handle_listen", "", "dst"),
    ("loadvm_postcopy_handle_run", "", "dst"),
    ("ram_load_postcopy", "chan", "dst"),
    ("postcopy_place_page", "chan", "dst"),
    ("postcopy_request_page", "page", "dst"),
    ("postcopy_pause_incoming", "", "dst"),
    ("postcopy_try_recover", "", "dst"),
    ("loadvm_handle_recv_bitmap", "", "dst"),
    ("loadvm_postcopy_handle_resume", "", "dst"),
    ("migrate_send_rp_req_pages_pending", "", "dst"),
    ("postcopy_ram_listen_thread_exit", "", "dst"),
    # network
    ("channel_break", "", "core"),
    ("connect_path_break", "", "core"),
    ("preempt_channel_break", "", "core"),
)
STEP_NAMES = frozenset(name for name, _, _ in STEPS)
_KIND = {name: kind for name, kind, _ in STEPS}
_OWNER = {name: owner for name, _, owner in STEPS}
_STEP_RE = re.compile(r"^(\w+)\((\w*)\)$")


class StepNotEnabled(Exception):
    """Raised when a step is run while its guard is false."""


def format_step(name: str, *args: int | str) -> str:
    return f"{name}({','.join(str(a) for a in args)})"


def parse_step(text: str) -> tuple[str, tuple[int | str, ...]]:
    m = _STEP_RE.match(text.strip())
    if m is None or m.group(1) not in STEP_NAMES:
        raise ValueError(f"not a step: {text!r}")
    arg = m.group(2)
    if arg == "":
        return m.group(1), ()
    return m.group(1), (int(arg) if arg.isdigit() else arg,)


class PageCore:
    def __init__(self, n_pages: int, preempt: bool = False,
                 faults: Iterable[str] = frozenset(), max_writes: int = 2,
                 max_breaks: int = 2) -> None:
        faults = frozenset(faults)
        unknown = faults - FAULTS
        if unknown:
            raise ValueError(f"unknown faults: {sorted(unknown)}")
        self.n = n_pages
        self.preempt = preempt
        self.faults = faults
        self.max_breaks = max_breaks
        self.breaks = 0
        self.lost_window = False  # from a break until the source reloads its bitmap
        self.trace: list[str] = []
        self.net = Network()
        self.src = Source(n_pages, self.net, preempt, faults, max_writes)
        self.dst = Destination(n_pages, self.net, faults)

    # ---- driving -----------------------------------------------------------
    def _arg_domain(self, kind: str) -> tuple[tuple[int | str, ...], ...]:
        if kind == "page":
            return tuple((p,) for p in range(self.n))
        if kind == "chan":
            return (("main",), ("preempt",)) if self.preempt else (("main",),)
        return ((),)

    def _owner(self, name: str) -> object:
        return {"src": self.src, "dst": self.dst, "core": self}[_OWNER[name]]

    def _can(self, name: str, args: tuple[int | str, ...]) -> bool:
        if args not in self._arg_domain(_KIND[name]):
            return False
        return bool(getattr(self._owner(name), "can_" + name)(*args))

    def can(self, text: str) -> bool:
        return self._can(*parse_step(text))

    def enabled_steps(self) -> list[str]:
        return [format_step(name, *args) for name, kind, _ in STEPS
                for args in self._arg_domain(kind) if self._can(name, args)]

    def step(self, text: str) -> None:
        """Run one step (StepNotEnabled when its guard is false)."""
        name, args = parse_step(text)
        if not self._can(name, args):
            raise StepNotEnabled(format_step(name, *args))
        self.trace.append(format_step(name, *args))
        getattr(self._owner(name), name)(*args)
        if name == "ram_dirty_bitmap_reload":
            self.lost_window = False  # the source knows again what the destination lacks

    def run(self, steps: Iterable[str]) -> None:
        for s in steps:
            self.step(s)

    # ---- the network's failures (they touch both ends) -------------------------
    def can_channel_break(self) -> bool:
        # Only once the destination runs the guest (the LISTENING window and
        # failures inside migration_completion end in FAILED, not modelled).
        return (self.breaks < self.max_breaks and self.net.main.healthy()
                and self.src.phase in (S.POSTCOPY_ACTIVE, S.POSTCOPY_RECOVER)
                and self.dst.phase in (D.POSTCOPY_ACTIVE, D.POSTCOPY_RECOVER,
                                       D.POSTCOPY_PAUSED))

    def can_connect_path_break(self) -> bool:
        # A recovery connection that the destination has not accepted yet.
        return self.can_channel_break() and self.net.pending

    def can_preempt_channel_break(self) -> bool:
        pre = self.net.preempt
        return (self.breaks < self.max_breaks and pre is not None and pre.healthy()
                and self.src.phase in (S.POSTCOPY_ACTIVE, S.POSTCOPY_RECOVER)
                and self.dst.phase in (D.POSTCOPY_ACTIVE, D.POSTCOPY_RECOVER))

    # ---- network -------------------------------------------------------------
    def channel_break(self) -> None:
        """Main socket fails: main and return path lose all in-flight messages."""
        self.breaks += 1
        self.net.main.shutdown()
        self.lost_window = True

    def connect_path_break(self) -> None:
        """The recovery connection breaks beyond a proxy before the destination accepts it:
        the source's socket fails and the destination never sees a connection."""
        self.breaks += 1
        self.net.main.shutdown()
        self.net.pending = False
        self.lost_window = True

    def preempt_channel_break(self) -> None:
        """Preempt socket fails: its in-flight pages are lost."""
        self.breaks += 1
        assert self.net.preempt is not None
        self.net.preempt.shutdown()
        self.lost_window = True

    # ---- observation -----------------------------------------------------------
    def abstract(self) -> CoreAbs:
        return abstract(self)

    def completed(self) -> bool:
        return self.src.phase == S.COMPLETED and self.dst.phase == D.COMPLETED

    def state_key(self) -> tuple[object, ...]:
        """The full concrete state (for replay/determinism comparisons)."""
        s, d, n = self.src, self.dst, self.net
        pre = None if n.preempt is None else (tuple(n.preempt.to_dst), n.preempt.broken)
        return (
            s.phase, tuple(s.ram), tuple(s.version), tuple(s.bmap), tuple(s.dirty_log),
            s.scan_pos, tuple(s.queue), s.recover_pc, s.bmap_sync_requested,
            d.phase, tuple(d.ram), tuple(d.receivedmap), tuple(sorted(d.page_requested)),
            tuple(d.temp.items()), d.resend_due, tuple(d.placement_violations),
            tuple(n.main.to_dst), tuple(n.main.to_src), n.main.broken, n.generation, n.pending,
            n.incoming is n.main, tuple(n.incoming.to_dst), n.incoming.broken, pre,
            self.breaks, self.lost_window,
        )
