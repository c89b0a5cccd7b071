"""Source side: guest RAM, dirty log, dirty bitmap, request queue, mig/rp threads.

Each public method is one atomic step named after the QEMU function it stands
for; ``can_<step>`` is its guard using source-local state only (cross-side and
admin conditions are added in core.py).
"""

from __future__ import annotations

from collections import deque

from migcheck.pagecore.channel import Channel, Network
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
)
from migcheck.pagecore.pages import decode_bitmap, page_content

# MigrationStatus values used on the source.
PRECOPY = "active"
POSTCOPY_ACTIVE = "postcopy-active"
POSTCOPY_PAUSED = "postcopy-paused"
POSTCOPY_RECOVER = "postcopy-recover"
COMPLETED = "completed"

# Where the migration thread is inside postcopy_do_resume (RECOVER only).
RPC_CONNECTED = "connected"  # woke in postcopy_pause, about to sync bitmaps
RPC_BITMAP_WAIT = "bitmap-wait"  # ram_dirty_bitmap_sync_all waiting rp_sem
RPC_HANDSHAKE_WAIT = "handshake-wait"  # postcopy_resume_handshake waiting rp_sem


class Source:
    def __init__(self, n_pages: int, net: Network, preempt: bool, faults: frozenset[str],
                 max_writes: int) -> None:
        self.n = n_pages
        self.net = net
        self.preempt = preempt
        self.faults = faults
        self.max_writes = max_writes
        self.phase = PRECOPY
        self.version = [0] * n_pages
        self.ram = [page_content(p, 0) for p in range(n_pages)]
        self.dirty_log = [False] * n_pages  # KVM/TCG dirty log, harvested by sync
        self.bmap = [True] * n_pages  # ram_list_init_bitmaps: all ones
        self.scan_pos = 0  # find_dirty_block position
        self.queue: deque[int] = deque()  # src_page_requests (non-preempt)
        self.recover_pc: str | None = None
        self.bmap_sync_requested = 0
        self.frozen: tuple[bytes, ...] | None = None  # RAM snapshot at stop
        self.sync_passes = 0

    # ---- helpers -------------------------------------------------------
    def _send_page(self, p: int, chan: Channel) -> None:
        """migration_bitmap_clear_dirty then put the page on the channel."""
        self.bmap[p] = False
        chan.send_to_dst(PageMsg(p, self.ram[p]))

    def _next_dirty(self) -> int | None:
        for k in range(self.n):
            p = (self.scan_pos + k) % self.n
            if self.bmap[p]:
                return p
        return None

    # ---- guest (runs on the source only before postcopy_start) ----------
    def can_guest_write(self, p: int) -> bool:
        return self.phase == PRECOPY and self.version[p] < self.max_writes

    def guest_write(self, p: int) -> None:
        self.version[p] += 1
        self.ram[p] = page_content(p, self.version[p])
        self.dirty_log[p] = True

    # ---- migration thread ------------------------------------------------
    def can_migration_bitmap_sync(self) -> bool:
        return self.phase == PRECOPY and any(self.dirty_log)

    def migration_bitmap_sync(self) -> None:
        """OR the dirty log into bmap and clear the log (one pass)."""
        for p in range(self.n):
            if self.dirty_log[p]:
                self.bmap[p] = True
                self.dirty_log[p] = False
        self.sync_passes += 1

    def can_get_queued_page(self) -> bool:
        return self.phase == POSTCOPY_ACTIVE and not self.preempt and bool(self.queue)

    def get_queued_page(self) -> None:
        """Serve the oldest queued request; unqueue_page skips clean pages."""
        p = self.queue.popleft()
        if self.bmap[p]:
            self._send_page(p, self.net.main)

    def can_ram_save_host_page(self) -> bool:
        if self.phase not in (PRECOPY, POSTCOPY_ACTIVE) or not any(self.bmap):
            return False
        return not self.queue or self.preempt  # queued requests are served first

    def ram_save_host_page(self) -> None:
        """Background push: the next dirty page in scan order on main."""
        p = self._next_dirty()
        assert p is not None
        self._send_page(p, self.net.main)
        self.scan_pos = (p + 1) % self.n

    def can_postcopy_start(self) -> bool:
        return self.phase == PRECOPY

    def postcopy_start(self) -> None:
        """Stop the guest, final sync, DISCARD dirty pages, LISTEN, RUN."""
        if self.preempt:
            self.net.connect_preempt()
        self.phase = POSTCOPY_ACTIVE
        self.frozen = tuple(self.ram)  # vm_stop: memory is frozen from here on
        self.migration_bitmap_sync()
        self.scan_pos = 0
        dirty = tuple(p for p in range(self.n) if self.bmap[p])
        if "no-discard" not in self.faults:
            self.net.main.send_to_dst(DiscardMsg(dirty))
        self.net.main.send_to_dst(Command(POSTCOPY_LISTEN))
        self.net.main.send_to_dst(Command(POSTCOPY_RUN))

    def can_migration_completion(self) -> bool:
        chans_ok = self.net.main.healthy() and (
            self.net.preempt is None or self.net.preempt.healthy())
        # A channel error inside migration_completion means FAILED (not modelled).
        return self.phase == POSTCOPY_ACTIVE and chans_ok

    def migration_completion(self) -> None:
        """ram_save_complete: every remaining dirty page, then EOF."""
        for p in range(self.n):
            if self.bmap[p]:
                self._send_page(p, self.net.main)
        self.net.main.send_to_dst(Command(EOF))
        self.phase = COMPLETED

    def can_postcopy_pause(self) -> bool:
        if self.phase == POSTCOPY_ACTIVE:  # migration_detect_error sees either file
            pre = self.net.preempt
            return self.net.main.broken or (pre is not None and pre.broken)
        if self.phase == POSTCOPY_RECOVER:  # rp thread exits, kicks rp_sem
            return self.net.main.broken
        return False

    def postcopy_pause(self) -> None:
        """Shut both files, join the rp thread, sleep in POSTCOPY_PAUSED."""
        self.net.main.shutdown()
        if self.net.preempt is not None:
            self.net.preempt.shutdown()
        self.phase = POSTCOPY_PAUSED
        self.recover_pc = None

    def can_migrate_fd_connect(self) -> bool:
        return self.phase == POSTCOPY_PAUSED

    def migrate_fd_connect(self) -> None:
        """`migrate resume=true` connected: new socket, PAUSED -> RECOVER."""
        self.net.connect_main()
        self.net.preempt = None
        self.phase = POSTCOPY_RECOVER
        self.recover_pc = RPC_CONNECTED

    def can_ram_dirty_bitmap_sync_all(self) -> bool:
        return self.phase == POSTCOPY_RECOVER and self.recover_pc == RPC_CONNECTED

    def ram_dirty_bitmap_sync_all(self) -> None:
        """Ask for the received bitmap of the (single) RAMBlock, then wait."""
        self.bmap_sync_requested = 1
        self.net.main.send_to_dst(Command(RECV_BITMAP))
        self.recover_pc = RPC_BITMAP_WAIT

    def can_postcopy_resume_handshake(self) -> bool:
        return (self.phase == POSTCOPY_RECOVER and self.recover_pc == RPC_BITMAP_WAIT
                and self.bmap_sync_requested == 0)

    def postcopy_resume_handshake(self) -> None:
        """ram_state_resume_prepare, (preempt) new channel, send RESUME, wait."""
        self.scan_pos = 0
        if self.preempt:
            self.net.connect_preempt()
        self.net.main.send_to_dst(Command(POSTCOPY_RESUME))
        self.recover_pc = RPC_HANDSHAKE_WAIT

    # ---- return-path thread (one message per step) ------------------------
    def can_ram_save_queue_pages(self) -> bool:
        return (isinstance(self.net.main.head_to_src(), ReqPages)
                and self.phase in (POSTCOPY_ACTIVE, COMPLETED))

    def ram_save_queue_pages(self) -> None:
        """REQ_PAGES: queue it, or (preempt) send it now on the preempt channel."""
        msg = self.net.main.to_src.popleft()
        assert isinstance(msg, ReqPages)
        if not self.preempt:
            self.queue.append(msg.index)
        elif self.bmap[msg.index]:  # ram_save_host_page_urgent skips clean pages
            assert self.net.preempt is not None
            self._send_page(msg.index, self.net.preempt)

    def can_ram_dirty_bitmap_reload(self) -> bool:
        return (isinstance(self.net.main.head_to_src(), RecvBitmap)
                and self.phase == POSTCOPY_RECOVER)

    def ram_dirty_bitmap_reload(self) -> None:
        """bmap := NOT receivedmap; one block done, kick rp_sem."""
        msg = self.net.main.to_src.popleft()
        assert isinstance(msg, RecvBitmap)
        received = decode_bitmap(msg.blob, self.n)
        if "no-bitmap-rebuild" not in self.faults:
            self.bmap = [not r for r in received]
        self.bmap_sync_requested -= 1

    def can_migrate_handle_rp_resume_ack(self) -> bool:
        return (isinstance(self.net.main.head_to_src(), ResumeAck)
                and self.phase == POSTCOPY_RECOVER and self.recover_pc == RPC_HANDSHAKE_WAIT)

    def migrate_handle_rp_resume_ack(self) -> None:
        """RESUME_ACK: RECOVER -> POSTCOPY_ACTIVE; page pushing continues."""
        self.net.main.to_src.popleft()
        self.phase = POSTCOPY_ACTIVE
        self.recover_pc = None
