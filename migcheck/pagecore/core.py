"""PageCore: the executable reference core, one method per atomic step.

The caller chooses the schedule: ``enabled_steps()`` lists the steps enabled
now as strings such as ``"guest_write(1)"`` or ``"ram_load_postcopy(preempt)"``,
and ``step(name)`` runs one of them.  Every step method raises
``StepNotEnabled`` when its guard (``can(name)``) is false, so any list of step
names replays deterministically.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

from migcheck.pagecore import checks, destination as D, source as S
from migcheck.pagecore.abstraction import CoreAbs, abstract
from migcheck.pagecore.channel import Network
from migcheck.pagecore.destination import Destination
from migcheck.pagecore.source import Source

FAULTS = frozenset({"no-bitmap-rebuild", "no-request-resend", "mark-before-place", "no-discard"})

# (step name, argument kind): "" none, "page" a page index, "chan" main|preempt.
STEPS: tuple[tuple[str, str], ...] = (
    # source guest + migration thread
    ("guest_write", "page"),
    ("migration_bitmap_sync", ""),
    ("get_queued_page", ""),
    ("ram_save_host_page", ""),
    ("postcopy_start", ""),
    ("migration_completion", ""),
    ("postcopy_pause", ""),
    ("migrate_fd_connect", ""),
    ("ram_dirty_bitmap_sync_all", ""),
    ("postcopy_resume_handshake", ""),
    # source return-path thread
    ("ram_save_queue_pages", ""),
    ("ram_dirty_bitmap_reload", ""),
    ("migrate_handle_rp_resume_ack", ""),
    # destination
    ("ram_load_precopy", ""),
    ("ram_discard_range", ""),
    ("loadvm_postcopy_handle_listen", ""),
    ("loadvm_postcopy_handle_run", ""),
    ("ram_load_postcopy", "chan"),
    ("postcopy_place_page", "chan"),
    ("postcopy_request_page", "page"),
    ("postcopy_pause_incoming", ""),
    ("postcopy_try_recover", ""),
    ("loadvm_handle_recv_bitmap", ""),
    ("loadvm_postcopy_handle_resume", ""),
    ("migrate_send_rp_req_pages_pending", ""),
    ("postcopy_ram_listen_thread_exit", ""),
    # network
    ("channel_break", ""),
    ("connect_path_break", ""),
    ("preempt_channel_break", ""),
)
STEP_NAMES = frozenset(name for name, _ in STEPS)
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

    def _guard(self, name: str) -> Callable[..., bool]:
        return getattr(self, "can_" + name)

    def can(self, text: str) -> bool:
        name, args = parse_step(text)
        return self._guard(name)(*args)

    def enabled_steps(self) -> list[str]:
        out = []
        for name, kind in STEPS:
            guard = self._guard(name)
            for args in self._arg_domain(kind):
                if guard(*args):
                    out.append(format_step(name, *args))
        return out

    def step(self, text: str) -> None:
        name, args = parse_step(text)
        getattr(self, name)(*args)

    def run(self, steps: Iterable[str]) -> None:
        for s in steps:
            self.step(s)

    def _enter(self, name: str, *args: int | str) -> None:
        if not self._guard(name)(*args):
            raise StepNotEnabled(format_step(name, *args))
        self.trace.append(format_step(name, *args))

    # ---- guards that are not purely one side's ------------------------------
    def can_guest_write(self, p: int) -> bool:
        return self.src.can_guest_write(p)

    def can_migration_bitmap_sync(self) -> bool:
        return self.src.can_migration_bitmap_sync()

    def can_get_queued_page(self) -> bool:
        return self.src.can_get_queued_page()

    def can_ram_save_host_page(self) -> bool:
        return self.src.can_ram_save_host_page()

    def can_postcopy_start(self) -> bool:
        return self.src.can_postcopy_start()

    def can_migration_completion(self) -> bool:
        return self.src.can_migration_completion()

    def can_postcopy_pause(self) -> bool:
        return self.src.can_postcopy_pause()

    def can_migrate_fd_connect(self) -> bool:
        # The connect needs only a listener (`migrate-recover`): the destination may still be
        # on its old, broken socket (it pauses, then accepts this one; reference 4.2 step 4).
        return self.src.can_migrate_fd_connect()

    def can_ram_dirty_bitmap_sync_all(self) -> bool:
        return self.src.can_ram_dirty_bitmap_sync_all()

    def can_postcopy_resume_handshake(self) -> bool:
        return self.src.can_postcopy_resume_handshake()

    def can_ram_save_queue_pages(self) -> bool:
        return self.src.can_ram_save_queue_pages()

    def can_ram_dirty_bitmap_reload(self) -> bool:
        return self.src.can_ram_dirty_bitmap_reload()

    def can_migrate_handle_rp_resume_ack(self) -> bool:
        return self.src.can_migrate_handle_rp_resume_ack()

    def can_ram_load_precopy(self) -> bool:
        return self.dst.can_ram_load_precopy()

    def can_ram_discard_range(self) -> bool:
        return self.dst.can_ram_discard_range()

    def can_loadvm_postcopy_handle_listen(self) -> bool:
        return self.dst.can_loadvm_postcopy_handle_listen()

    def can_loadvm_postcopy_handle_run(self) -> bool:
        return self.dst.can_loadvm_postcopy_handle_run()

    def can_ram_load_postcopy(self, ch: str) -> bool:
        return ch in ("main", "preempt") and self.dst.can_ram_load_postcopy(ch)

    def can_postcopy_place_page(self, ch: str) -> bool:
        return ch in ("main", "preempt") and self.dst.can_postcopy_place_page(ch)

    def can_postcopy_request_page(self, p: int) -> bool:
        return 0 <= p < self.n and self.dst.can_postcopy_request_page(p)

    def can_postcopy_pause_incoming(self) -> bool:
        return self.dst.can_postcopy_pause_incoming()

    def can_postcopy_try_recover(self) -> bool:
        return self.dst.can_postcopy_try_recover()

    def can_loadvm_handle_recv_bitmap(self) -> bool:
        return self.dst.can_loadvm_handle_recv_bitmap()

    def can_loadvm_postcopy_handle_resume(self) -> bool:
        return self.dst.can_loadvm_postcopy_handle_resume()

    def can_migrate_send_rp_req_pages_pending(self) -> bool:
        return self.dst.can_migrate_send_rp_req_pages_pending()

    def can_postcopy_ram_listen_thread_exit(self) -> bool:
        return self.dst.can_postcopy_ram_listen_thread_exit()

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

    # ---- source steps --------------------------------------------------------
    def guest_write(self, p: int) -> None:
        """Guest on the source writes page p: new bytes, dirty-log bit set."""
        self._enter("guest_write", p)
        self.src.guest_write(p)

    def migration_bitmap_sync(self) -> None:
        """Precopy iteration boundary: harvest the dirty log into bmap."""
        self._enter("migration_bitmap_sync")
        self.src.migration_bitmap_sync()

    def get_queued_page(self) -> None:
        """Serve the oldest queued page request (skipped if clean) on main."""
        self._enter("get_queued_page")
        self.src.get_queued_page()

    def ram_save_host_page(self) -> None:
        """Send the next dirty page in scan order on main (bit cleared first)."""
        self._enter("ram_save_host_page")
        self.src.ram_save_host_page()

    def postcopy_start(self) -> None:
        """Stop guest, final sync, DISCARD dirty pages, LISTEN, RUN."""
        self._enter("postcopy_start")
        self.src.postcopy_start()

    def migration_completion(self) -> None:
        """Send every remaining dirty page then EOF; source COMPLETED."""
        self._enter("migration_completion")
        self.src.migration_completion()

    def postcopy_pause(self) -> None:
        """Source notices the channel error: shut files, POSTCOPY_PAUSED."""
        self._enter("postcopy_pause")
        self.src.postcopy_pause()

    def migrate_fd_connect(self) -> None:
        """`migrate resume=true` connects a new socket: PAUSED -> RECOVER."""
        self._enter("migrate_fd_connect")
        self.src.migrate_fd_connect()

    def ram_dirty_bitmap_sync_all(self) -> None:
        """Send MIG_CMD_RECV_BITMAP and wait for the bitmap."""
        self._enter("ram_dirty_bitmap_sync_all")
        self.src.ram_dirty_bitmap_sync_all()

    def postcopy_resume_handshake(self) -> None:
        """(preempt: new preempt channel) send POSTCOPY_RESUME, wait for the ACK."""
        self._enter("postcopy_resume_handshake")
        self.src.postcopy_resume_handshake()

    def ram_save_queue_pages(self) -> None:
        """rp thread, REQ_PAGES: queue it, or (preempt) send it urgently."""
        self._enter("ram_save_queue_pages")
        self.src.ram_save_queue_pages()

    def ram_dirty_bitmap_reload(self) -> None:
        """rp thread, RECV_BITMAP: bmap := NOT receivedmap."""
        self._enter("ram_dirty_bitmap_reload")
        self.src.ram_dirty_bitmap_reload()
        self.lost_window = False

    def migrate_handle_rp_resume_ack(self) -> None:
        """rp thread, RESUME_ACK: RECOVER -> POSTCOPY_ACTIVE."""
        self._enter("migrate_handle_rp_resume_ack")
        self.src.migrate_handle_rp_resume_ack()

    # ---- destination steps ---------------------------------------------------
    def ram_load_precopy(self) -> None:
        """Copy a precopy page into guest RAM and set its receivedmap bit."""
        self._enter("ram_load_precopy")
        self.dst.ram_load_precopy()

    def ram_discard_range(self) -> None:
        """POSTCOPY_RAM_DISCARD: clear receivedmap bits and drop the pages."""
        self._enter("ram_discard_range")
        self.dst.ram_discard_range()

    def loadvm_postcopy_handle_listen(self) -> None:
        """POSTCOPY_LISTEN: start postcopy loading."""
        self._enter("loadvm_postcopy_handle_listen")
        self.dst.loadvm_postcopy_handle_listen()

    def loadvm_postcopy_handle_run(self) -> None:
        """POSTCOPY_RUN: the guest now runs on the destination."""
        self._enter("loadvm_postcopy_handle_run")
        self.dst.loadvm_postcopy_handle_run()

    def ram_load_postcopy(self, ch: str) -> None:
        """Read one page from channel ch into its temp page."""
        self._enter("ram_load_postcopy", ch)
        self.dst.ram_load_postcopy(ch)

    def postcopy_place_page(self, ch: str) -> None:
        """Install the temp page of ch atomically, then mark it received."""
        self._enter("postcopy_place_page", ch)
        self.dst.postcopy_place_page(ch)

    def postcopy_request_page(self, p: int) -> None:
        """vCPU fault on missing page p: record and send REQ_PAGES."""
        self._enter("postcopy_request_page", p)
        self.dst.postcopy_request_page(p)

    def postcopy_pause_incoming(self) -> None:
        """Destination notices the break: drop temp pages, POSTCOPY_PAUSED."""
        self._enter("postcopy_pause_incoming")
        self.dst.postcopy_pause_incoming()

    def postcopy_try_recover(self) -> None:
        """Destination accepts the new main channel: PAUSED -> RECOVER."""
        self._enter("postcopy_try_recover")
        self.dst.postcopy_try_recover()

    def loadvm_handle_recv_bitmap(self) -> None:
        """MIG_CMD_RECV_BITMAP: send receivedmap on the return path."""
        self._enter("loadvm_handle_recv_bitmap")
        self.dst.loadvm_handle_recv_bitmap()

    def loadvm_postcopy_handle_resume(self) -> None:
        """POSTCOPY_RESUME: RECOVER -> POSTCOPY_ACTIVE, send RESUME_ACK."""
        self._enter("loadvm_postcopy_handle_resume")
        self.dst.loadvm_postcopy_handle_resume()

    def migrate_send_rp_req_pages_pending(self) -> None:
        """Re-send every request still in page_requested (end of RESUME handler)."""
        self._enter("migrate_send_rp_req_pages_pending")
        self.dst.migrate_send_rp_req_pages_pending()

    def postcopy_ram_listen_thread_exit(self) -> None:
        """QEMU_VM_EOF: destination COMPLETED."""
        self._enter("postcopy_ram_listen_thread_exit")
        self.dst.postcopy_ram_listen_thread_exit()

    # ---- network -------------------------------------------------------------
    def channel_break(self) -> None:
        """Main socket fails: main and return path lose all in-flight messages."""
        self._enter("channel_break")
        self.breaks += 1
        self.net.main.shutdown()
        self.lost_window = True

    def connect_path_break(self) -> None:
        """The recovery connection breaks beyond a proxy before the destination accepts it:
        the source's socket fails and the destination never sees a connection."""
        self._enter("connect_path_break")
        self.breaks += 1
        self.net.main.shutdown()
        self.net.pending = False
        self.lost_window = True

    def preempt_channel_break(self) -> None:
        """Preempt socket fails: its in-flight pages are lost."""
        self._enter("preempt_channel_break")
        self.breaks += 1
        assert self.net.preempt is not None
        self.net.preempt.shutdown()
        self.lost_window = True

    # ---- aliases with the brief's short names --------------------------------
    send_next_dirty = ram_save_host_page
    serve_request = get_queued_page
    send_recv_bitmap = loadvm_handle_recv_bitmap
    resume = postcopy_resume_handshake
    resume_ack = migrate_handle_rp_resume_ack
    resend_pending_requests = migrate_send_rp_req_pages_pending
    complete = migration_completion

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

    # ---- checks ------------------------------------------------------------------
    def pages_consistent(self) -> list[str]:
        return checks.pages_consistent(self)

    def no_stale_placement(self) -> list[str]:
        return checks.no_stale_placement(self)

    def received_implies_present(self) -> list[str]:
        return checks.received_implies_present(self)

    def no_loss(self) -> list[str]:
        return checks.no_loss(self)

    def source_frozen(self) -> list[str]:
        return checks.source_frozen(self)

    def no_stale_received(self) -> list[str]:
        return checks.no_stale_received(self)

    def requests_tracked(self) -> list[str]:
        return checks.requests_tracked(self)

    def check_invariants(self) -> list[str]:
        return checks.check_all(self)
