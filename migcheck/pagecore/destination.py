"""Destination side: receivedmap, guest RAM, page_requested, temp pages.

Threads folded into steps: the incoming/listen thread reads the main channel,
the fast-load thread reads the preempt channel, the fault thread turns vCPU
faults into REQ_PAGES.  Each public method is one atomic step; ``can_<step>``
is its guard using destination-local state and the channels it reads.
"""

from __future__ import annotations

from migcheck.pagecore.channel import Network
from migcheck.pagecore.messages import (
    EOF,
    POSTCOPY_LISTEN,
    POSTCOPY_RESUME,
    POSTCOPY_RUN,
    RECV_BITMAP,
    Command,
    DiscardMsg,
    PageMsg,
    RecvBitmap,
    ReqPages,
    ResumeAck,
    ToDst,
)
from migcheck.pagecore.pages import encode_bitmap, page_version

# Destination phases (MigrationStatus, with ACTIVE split by PostcopyState).
PRECOPY = "active"  # precopy load by the incoming coroutine
LISTENING = "postcopy-listening"  # POSTCOPY_LISTEN seen, guest not running yet
POSTCOPY_ACTIVE = "postcopy-active"  # RUN seen: guest runs here, faults possible
POSTCOPY_PAUSED = "postcopy-paused"
POSTCOPY_RECOVER = "postcopy-recover"
COMPLETED = "completed"

CHANNELS = ("main", "preempt")


class Destination:
    def __init__(self, n_pages: int, net: Network, faults: frozenset[str]) -> None:
        self.n = n_pages
        self.net = net
        self.faults = faults
        self.phase = PRECOPY
        self.receivedmap = [False] * n_pages
        self.ram: list[bytes | None] = [None] * n_pages  # None = missing (discarded)
        self.page_requested: set[int] = set()
        self.temp: dict[str, PageMsg | None] = {c: None for c in CHANNELS}
        self.resend_due = False  # inside loadvm_postcopy_handle_resume
        self.placement_violations: list[str] = []

    # ---- helpers -------------------------------------------------------
    def _busy(self) -> bool:
        """The listen thread is still inside the RESUME handler."""
        return self.resend_due

    def _head(self, kind: type, *phases: str) -> ToDst | None:
        """Head of main if it is a ``kind`` and the listen thread may read it."""
        if self.phase not in phases or self._busy() or self.temp["main"] is not None:
            return None
        head = self.net.incoming.head_to_dst()
        return head if isinstance(head, kind) else None

    def _is_cmd(self, name: str, *phases: str) -> bool:
        head = self._head(Command, *phases)
        return isinstance(head, Command) and head.name == name

    def _mark_received(self, p: int) -> None:
        """Under page_request_mutex: set the receivedmap bit, drop the request."""
        self.receivedmap[p] = True
        self.page_requested.discard(p)

    # ---- precopy / switchover (main channel) -----------------------------
    def can_ram_load_precopy(self) -> bool:
        return self._head(PageMsg, PRECOPY) is not None

    def ram_load_precopy(self) -> None:
        msg = self.net.incoming.to_dst.popleft()
        assert isinstance(msg, PageMsg)
        self.ram[msg.index] = msg.data
        self.receivedmap[msg.index] = True

    def can_ram_discard_range(self) -> bool:
        return self._head(DiscardMsg, PRECOPY) is not None

    def ram_discard_range(self) -> None:
        msg = self.net.incoming.to_dst.popleft()
        assert isinstance(msg, DiscardMsg)
        for p in msg.indices:
            self.receivedmap[p] = False
            self.ram[p] = None

    def can_loadvm_postcopy_handle_listen(self) -> bool:
        return self._is_cmd(POSTCOPY_LISTEN, PRECOPY)

    def loadvm_postcopy_handle_listen(self) -> None:
        self.net.incoming.to_dst.popleft()
        self.phase = LISTENING

    def can_loadvm_postcopy_handle_run(self) -> bool:
        return self._is_cmd(POSTCOPY_RUN, LISTENING)

    def loadvm_postcopy_handle_run(self) -> None:
        self.net.incoming.to_dst.popleft()
        self.phase = POSTCOPY_ACTIVE

    # ---- postcopy page load and placement --------------------------------
    def can_ram_load_postcopy(self, ch: str) -> bool:
        chan = self.net.incoming_channel(ch)
        if chan is None or self.phase != POSTCOPY_ACTIVE or self._busy():
            return False
        return self.temp[ch] is None and isinstance(chan.head_to_dst(), PageMsg)

    def ram_load_postcopy(self, ch: str) -> None:
        """Read one page from channel ``ch`` into that channel's temp page."""
        chan = self.net.incoming_channel(ch)
        assert chan is not None
        msg = chan.to_dst.popleft()
        assert isinstance(msg, PageMsg)
        self.temp[ch] = msg
        if "mark-before-place" in self.faults:
            self._mark_received(msg.index)

    def can_postcopy_place_page(self, ch: str) -> bool:
        return self.temp[ch] is not None and self.phase == POSTCOPY_ACTIVE

    def postcopy_place_page(self, ch: str) -> None:
        """UFFDIO_COPY of the temp page, then (only then) mark it received."""
        msg = self.temp[ch]
        assert msg is not None
        p, held = msg.index, self.ram[msg.index]
        if held is not None:
            self.placement_violations.append(
                f"no_stale_placement: page {p} placed over an installed page (EEXIST)")
            if page_version(msg.data) < page_version(held):
                self.placement_violations.append(
                    f"no_stale_placement: page {p} version {page_version(msg.data)} "
                    f"placed over newer version {page_version(held)}")
        self.ram[p] = msg.data
        self.temp[ch] = None
        if "mark-before-place" not in self.faults:
            self._mark_received(p)

    # ---- fault thread ------------------------------------------------------
    def can_postcopy_request_page(self, p: int) -> bool:
        return (self.phase == POSTCOPY_ACTIVE and not self._busy()
                and not self.receivedmap[p] and p not in self.page_requested)

    def postcopy_request_page(self, p: int) -> None:
        """vCPU fault on a missing page: record it and send REQ_PAGES."""
        self.page_requested.add(p)
        self.net.incoming.send_to_src(ReqPages(p))

    # ---- pause and recovery (listen thread) ------------------------------
    def can_postcopy_pause_incoming(self) -> bool:
        return (self.phase in (POSTCOPY_ACTIVE, POSTCOPY_RECOVER) and not self._busy()
                and self.net.incoming.broken)

    def postcopy_pause_incoming(self) -> None:
        """Close the files, drop partially received temp pages, PAUSED."""
        self.net.incoming.shutdown()
        if self.net.preempt is not None:
            self.net.preempt.shutdown()
        for ch in CHANNELS:
            self.temp[ch] = None
        self.phase = POSTCOPY_PAUSED

    def can_postcopy_try_recover(self) -> bool:
        # The connection may already be broken (the listen thread then pauses again).
        return self.phase == POSTCOPY_PAUSED and self.net.pending

    def postcopy_try_recover(self) -> None:
        """Accept the new main channel: PAUSED -> RECOVER."""
        self.net.accept_main()
        self.phase = POSTCOPY_RECOVER

    def can_loadvm_handle_recv_bitmap(self) -> bool:
        return self._is_cmd(RECV_BITMAP, POSTCOPY_RECOVER)

    def loadvm_handle_recv_bitmap(self) -> None:
        """migrate_send_rp_recv_bitmap: header + blob of receivedmap."""
        self.net.incoming.to_dst.popleft()
        self.net.incoming.send_to_src(RecvBitmap(encode_bitmap(self.receivedmap)))

    def can_loadvm_postcopy_handle_resume(self) -> bool:
        return self._is_cmd(POSTCOPY_RESUME, POSTCOPY_RECOVER)

    def loadvm_postcopy_handle_resume(self) -> None:
        """RECOVER -> POSTCOPY_ACTIVE and RESUME_ACK; the resend step follows."""
        self.net.incoming.to_dst.popleft()
        self.phase = POSTCOPY_ACTIVE
        self.net.incoming.send_to_src(ResumeAck(1))
        self.resend_due = True

    def can_migrate_send_rp_req_pages_pending(self) -> bool:
        return self.resend_due

    def migrate_send_rp_req_pages_pending(self) -> None:
        """Re-send every request still in page_requested; wake fault threads."""
        if "no-request-resend" not in self.faults:
            for p in sorted(self.page_requested):
                self.net.incoming.send_to_src(ReqPages(p))
        self.resend_due = False

    def can_postcopy_ram_listen_thread_exit(self) -> bool:
        pre = self.net.preempt
        drained = pre is None or not pre.to_dst
        return (self._is_cmd(EOF, POSTCOPY_ACTIVE) and drained
                and all(t is None for t in self.temp.values()))

    def postcopy_ram_listen_thread_exit(self) -> None:
        """QEMU_VM_EOF: the listen thread ends, destination COMPLETED."""
        self.net.incoming.to_dst.popleft()
        self.phase = COMPLETED
