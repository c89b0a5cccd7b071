"""Guest pages in the model (--pages N): dirty bitmap, page copies, requests, placement.

Why: a recovery that "completes" with one stale page on the destination is worse than a hang.
QEMU's recovery rests on a chain of facts (reference 6 and 6.5) that this module makes
checkable: the dirty bit is cleared when a page is sent; the destination marks a page received
only once it is placed; in-flight copies are lost at a break; the received-bitmap exchange makes
every lost page dirty again; page requests pending at the break are re-sent after RESUME.

Modelling choices (each a bound or an abstraction, stated in `Model.bounds`):
* Page copies travel in the main-channel FIFO `m2d` as `MigCmd.PAGE<p>_V<v>` (page p with the
  content of the source's v-th write), so their order against DISCARD, the package and EOF is
  the real stream order, and a break loses them with the rest of the stream.  The source only
  writes a page while the FIFO holds at most one message (TCP back-pressure, bounded here), so
  commands always fit.
* Page requests (MIG_RP_MSG_REQ_PAGES) are one bit per page (`rp_req`): their order among
  themselves does not matter to the source, which queues them; the source's rp thread takes
  them only in postcopy-active, which is after RESUME_ACK in the real stream.
* The guest writes at most GUEST_WRITES pages during precopy; a write sets the dirty bit (the
  KVM dirty log and migration_bitmap_sync are folded into the write).
* The DISCARD sent by postcopy_start is a ghost set `discard` applied when the destination
  handles the package (it precedes LISTEN inside the stream).
* One temp page: the listen thread loads a copy (`tmp`) and places it in a later step, so a
  break can fall between the two (a huge page assembled from several target pages).

Per-page steps are instantiated N times with constant indices, so every engine reads them.
"""

from __future__ import annotations

from collections.abc import Callable

from migcheck.checker.edit import (
    AddActions,
    AddActors,
    AddMembers,
    AddVariables,
    Change,
    Coupling,
    Edit,
    Layer,
    SetMeta,
)
from migcheck.checker.expr import (
    Const,
    Expr,
    Index,
    Symbol,
    Tuple,
    Var,
    all_of,
    any_of,
    ite,
    lift,
)
from migcheck.checker.spec import (
    Action,
    Actor,
    ActorKind,
    BoolDomain,
    IntDomain,
    ModelError,
    StateVar,
    TupleDomain,
)
from migcheck.model import meta
from migcheck.model.dsl import act, main_head, pop_main, send_main
from migcheck.model.state import (
    M2D_SIZE,
    dst_state,
    fault,
    from_src_file,
    listen,
    load,
    m2d,
    mig,
    postcopy_state,
    rp,
    sock,
    src_state,
    to_src_file,
)
from migcheck.model.vocab import (
    FaultThread,
    FileRef,
    ListenThread,
    LoadThread,
    MigCmd,
    MigrationStatus as MS,
    MigThread as M,
    PostcopyState as PS,
    RpThread,
    Sock,
)

MAX_VERSION = 1  # each page is written at most once by the guest
GUEST_WRITES = 1  # guest writes during precopy, in total

SRC_GUEST = "src:guest"
DST_GUEST = "dst:guest"
MIG, RP = "src:migration", "src:return-path"
DMAIN, LISTEN = "dst:main", "dst:listen"

ACTORS = (
    Actor(SRC_GUEST, ActorKind.ENV, "src", "the guest writing its RAM on the source (precopy;"
          " never obliged to)"),
    Actor(DST_GUEST, ActorKind.ENV, "dst", "guest vCPUs touching missing pages on the"
          " destination (never obliged to)"),
)

bmap, src_ver, guest_writes = Var("bmap"), Var("src_ver"), Var("guest_writes")
discard, dst_ver, receivedmap = Var("discard"), Var("dst_ver"), Var("receivedmap")
tmp, page_requested = Var("tmp"), Var("page_requested")
rp_req, queued = Var("rp_req"), Var("queued")

def page_msg(p: int, v: int) -> Symbol:
    """The main-channel message carrying page p at version v (RAM_SAVE_FLAG_PAGE with the
    content of the source's v-th write: the version is what lets the checker see a stale
    copy).  The pages layer adds these members to MigCmd, as many as it needs."""
    return Symbol("MigCmd", f"PAGE{p}_V{v}", f"page {p} v{v}")


def page_msgs(n: int) -> tuple[Symbol, ...]:
    return tuple(page_msg(p, v) for p in range(n) for v in range(MAX_VERSION + 1))


def in_m2d(p: int) -> Expr:
    """Some copy of page p is in flight on the main channel."""
    msgs = [page_msg(p, v) for v in range(MAX_VERSION + 1)]
    return any_of(*(m2d[i].isin(*msgs) for i in range(M2D_SIZE)))


def put(var: Var, p: int, value: object, n: int) -> Expr:
    """var with element p replaced (a whole-tuple assignment, as the language wants)."""
    return Tuple(tuple(lift(value) if i == p else Index(var, i) for i in range(n)))


def each(n: int, fn: Callable[[int], object]) -> Expr:
    return Tuple(tuple(lift(fn(i)) for i in range(n)))


def none_of(n: int, fn: Callable[[int], Expr]) -> Expr:
    return all_of(*(~fn(i) for i in range(n)))


def _tuple(name: str, elem, init: object, n: int, doc: str, lane: str) -> StateVar:
    return StateVar(name, TupleDomain(elem, n), (init,) * n, doc, lane)


def variables(n: int) -> tuple[StateVar, ...]:
    ver = IntDomain(-1, MAX_VERSION)
    return (
        _tuple("bmap", BoolDomain(), True, n, "RAMBlock bmap: dirty bits (all ones at start)",
               "src:pages"),
        _tuple("src_ver", IntDomain(0, MAX_VERSION), 0, n, "guest writes to each source page",
               "src:pages"),
        StateVar("guest_writes", IntDomain(0, GUEST_WRITES), 0,
                 "guest writes so far (bounded)", "src:pages"),
        _tuple("queued", BoolDomain(), False, n, "src_page_requests: requests queued on the"
               " source", "src:pages"),
        _tuple("discard", BoolDomain(), False, n, "ghost: pages in the POSTCOPY_RAM_DISCARD"
               " sent by postcopy_start, not yet applied", "net:main"),
        _tuple("rp_req", BoolDomain(), False, n, "MIG_RP_MSG_REQ_PAGES in flight on the"
               " return path", "net:main"),
        _tuple("dst_ver", ver, -1, n, "destination page content: the write it holds"
               " (-1 missing)", "dst:pages"),
        _tuple("receivedmap", BoolDomain(), False, n, "RAMBlock receivedmap", "dst:pages"),
        _tuple("tmp", ver, -1, n, "the listen thread's temp page: loaded, not yet placed"
               " (-1 none)", "dst:pages"),
        _tuple("page_requested", BoolDomain(), False, n, "mis->page_requested",
               "dst:pages"),
    )


def _send_page(p: int) -> Expr:
    """The m2d after writing page p's current content (lost if the socket is broken)."""
    out: Expr = send_main(page_msg(p, MAX_VERSION))
    for v in range(MAX_VERSION - 1, -1, -1):
        out = ite(src_ver[p].eq(v), send_main(page_msg(p, v)), out)
    return out


room = m2d[1].eq(MigCmd.EMPTY)
"""At most one message is queued on the main channel: a page write still leaves room for a
command and for the empty slot `channels-bounded` keeps."""


def source_actions(n: int) -> list[Action]:
    iterating = mig.eq(M.ITERATE)
    none_due = none_of(n, lambda i: queued[i] & bmap[i])
    out = [
        act("guest writes page 0", SRC_GUEST,
            src_state.eq(MS.ACTIVE) & (guest_writes < GUEST_WRITES) & (src_ver[0] < MAX_VERSION),
            {"src_ver": put(src_ver, 0, src_ver[0] + 1, n), "bmap": put(bmap, 0, True, n),
             "guest_writes": guest_writes + 1},
            "migration/ram.c:migration_bitmap_sync",
            "The guest writes the page; the dirty log (harvested by the next bitmap sync) sets"
            " its dirty bit.  Only page 0 is written (a bound: pages are alike up to scan"
            " order)."),
    ]
    for p in range(n):
        out += [
            act(f"ram_save_host_page({p})", MIG,
                iterating & src_state.isin(MS.ACTIVE, MS.POSTCOPY_ACTIVE) & bmap[p]
                & none_of(p, lambda i: bmap[i]) & none_due & room,
                {"bmap": put(bmap, p, False, n), "m2d": _send_page(p),
                 "queued": each(n, lambda i: False)},
                "migration/ram.c:ram_save_host_page",
                "Background push (scan order: the first dirty page): clear the dirty bit, then"
                " write the page to the stream.  No queued request is due: get_queued_page"
                " dropped every entry, all for pages already clean."),
            act(f"get_queued_page({p})", MIG,
                iterating & src_state.eq(MS.POSTCOPY_ACTIVE) & queued[p] & bmap[p] & room,
                {"queued": put(queued, p, False, n), "bmap": put(bmap, p, False, n),
                 "m2d": _send_page(p)},
                "migration/ram.c:get_queued_page",
                "Requested pages first (unqueue_page skips entries for pages already clean;"
                " the order among requests is left open)."),
            act(f"ram_save_queue_pages({p})", RP,
                rp.eq(RpThread.RUNNING) & sock.eq(Sock.UP) & rp_req[p]
                & src_state.eq(MS.POSTCOPY_ACTIVE),
                {"rp_req": put(rp_req, p, False, n),
                 "queued": put(queued, p, bmap[p] | ~receivedmap[p], n)},
                "migration/ram.c:ram_save_queue_pages",
                "REQ_PAGES: append to src_page_requests.  The entry for a page already sent"
                " stays: if the copy is lost at a break, the bitmap reload makes the page"
                " dirty again and the entry serves it.  (An entry for a page sent and"
                " received is a no-op for good and is not kept.)"),
        ]
    return out


def mark_received(p: int, n: int) -> dict[str, object]:
    """Set p's receivedmap bit and drop its request (under page_request_mutex).  A source queue
    entry for p that is clean is now a no-op for good (the page stays received, so clean), and
    the model stops keeping it."""
    return {"receivedmap": put(receivedmap, p, True, n),
            "page_requested": put(page_requested, p, False, n),
            "queued": put(queued, p, queued[p] & bmap[p], n)}


def load_postcopy(p: int, v: int, n: int) -> Action:
    """ram_load_postcopy: read page p into the temp page."""
    effect: dict[str, object] = {"m2d": pop_main(), "tmp": put(tmp, p, v, n)}
    return act(f"ram_load_postcopy({p}, v{v})", LISTEN,
               listen.eq(ListenThread.RUNNING) & from_src_file.eq(FileRef.CUR)
               & main_head(page_msg(p, v)) & postcopy_state.eq(PS.RUNNING)
               & none_of(n, lambda i: tmp[i] >= 0),
               effect, "migration/ram.c:ram_load_postcopy",
               "Read the page into the channel's temp page.")


def place_page(p: int, n: int) -> Action:
    """postcopy_place_page, then receivedmap and page_requested under the mutex."""
    effect: dict[str, object] = {"dst_ver": put(dst_ver, p, tmp[p], n),
                                 "tmp": put(tmp, p, -1, n), **mark_received(p, n)}
    return act(f"postcopy_place_page({p})", LISTEN,
               listen.eq(ListenThread.RUNNING) & (tmp[p] >= 0),
               effect, "migration/postcopy-ram.c:postcopy_place_page",
               "UFFDIO_COPY installs the page; only then qemu_ufd_copy_ioctl marks it received"
               " and drops the request.")


def destination_actions(n: int) -> list[Action]:
    loading = load.eq(LoadThread.LOADING) & from_src_file.eq(FileRef.CUR)
    out = []
    for p in range(n):
        for v in range(MAX_VERSION + 1):
            out.append(act(f"ram_load_precopy({p}, v{v})", DMAIN,
                           loading & main_head(page_msg(p, v)),
                           {"m2d": pop_main(), "dst_ver": put(dst_ver, p, v, n),
                            "receivedmap": put(receivedmap, p, True, n)},
                           "migration/ram.c:ram_load_precopy",
                           "Precopy: copy into guest RAM, set the receivedmap bit."))
            out.append(load_postcopy(p, v, n))
        out.append(place_page(p, n))
        out.append(act(f"postcopy_request_page({p})", DST_GUEST,
                       fault.eq(FaultThread.RUNNING) & postcopy_state.eq(PS.RUNNING)
                       & dst_state.eq(MS.POSTCOPY_ACTIVE) & ~receivedmap[p]
                       & none_of(n, lambda i: page_requested[i]),
                       {"page_requested": put(page_requested, p, True, n),
                        "rp_req": put(rp_req, p, to_src_file.eq(FileRef.CUR) & sock.eq(Sock.UP),
                                      n)},
                       "migration/postcopy-ram.c:postcopy_request_page",
                       "A vCPU faults on a missing page: record it in page_requested and send"
                       " REQ_PAGES (a failed send is retried after the resume)."))
    return out


# ---------------------------------------------------------------- hooks into existing steps


def _hooks(n: int) -> list[Change]:
    """The page effects of existing protocol steps."""
    recovering = dst_state.eq(MS.POSTCOPY_RECOVER)
    rp_ok = recovering & to_src_file.eq(FileRef.CUR) & sock.eq(Sock.UP)
    return [
        Edit("postcopy_start", why="ram_postcopy_send_discard_bitmap: the pages dirty at the"
                                   " final sync", assign={"discard": bmap}),
        Edit("loadvm_postcopy_handle_listen",
             why="the package's DISCARD (ram_discard_range) comes before LISTEN",
             assign={"dst_ver": each(n, lambda i: ite(discard[i], -1, dst_ver[i])),
                     "receivedmap": each(n, lambda i: receivedmap[i] & ~discard[i]),
                     "discard": each(n, lambda i: False)}),
        Edit("source_return_path_thread: RECV_BITMAP",
             why="ram_dirty_bitmap_reload: bmap := NOT receivedmap (src_page_requests is kept;"
                 " the entries for received pages are now no-ops for good)",
             assign={"bmap": each(n, lambda i: ~receivedmap[i]),
                     "queued": each(n, lambda i: queued[i] & ~receivedmap[i])}),
        Edit("loadvm_postcopy_handle_resume",
             why="migrate_send_rp_req_pages_pending at the end of the RESUME handler",
             assign={"rp_req": each(n, lambda i: rp_req[i] | (rp_ok & page_requested[i]))}),
        Edit("migration_completion",
             why="ram_save_complete has nothing dirty left: the iteration loop sent it (and"
                 " its QEMU_VM_EOF waits for room on the channel, like a page write)",
             strengthen=none_of(n, lambda i: bmap[i]) & m2d[M2D_SIZE - 2].eq(MigCmd.EMPTY)),
        Edit("postcopy_ram_listen_thread: EOF",
             why="the listen thread places its temp page before reading on",
             strengthen=none_of(n, lambda i: tmp[i] >= 0)),
    ]


def _couplings(n: int) -> tuple[Coupling, ...]:
    def requests_die(new_sock: Expr) -> Expr:
        return ite(new_sock.eq(Sock.UP), rp_req, each(n, lambda i: False))

    def temp_pages_reset(new_listen: Expr) -> Expr | None:
        return each(n, lambda i: -1) if new_listen == Const(ListenThread.PAUSED) else None

    return (
        # requests in flight die with the socket (in-flight pages do: they are in m2d)
        Coupling("requests die with the socket", "sock", "rp_req", requests_die),
        # postcopy_pause_incoming resets the temp pages: partial host pages are dropped
        Coupling("temp pages reset on pause", "listen", "tmp", temp_pages_reset),
    )


PLACES = (
    meta.Place("main channel", lambda p: in_m2d(p)),
    meta.Place("listen thread's temp page", lambda p: tmp[p] >= 0),
)


def layer(n: int) -> Layer:
    """N guest pages composed into the protocol: variables, actors, page steps, the page
    effects of existing steps (discard, bitmap reload, request re-send) and of every break
    (couplings), and where a page can be in flight."""
    why = "guest pages (--pages)"
    return Layer("pages", (
        AddMembers("MigCmd", page_msgs(n), why="page copies travel on the main channel"),
        AddVariables(variables(n), why=why),
        AddActors(ACTORS, why=why),
        AddActions(tuple(source_actions(n) + destination_actions(n)), why=why),
        *_hooks(n),
        SetMeta(meta.PAGES, value=n, why=why),
        SetMeta(meta.IN_FLIGHT, update=lambda old: (*old, *PLACES), why=why),  # type: ignore[misc]
    ), _couplings(n))


def bounds(n: int) -> tuple[str, ...]:
    return (f"one RAMBlock of {n} pages; the guest writes page 0 at most once, in precopy",
            "one vCPU: at most one outstanding page fault; the scan sends the first dirty page",
            "at most two messages in flight on the main channel when a page is written"
            " (back-pressure)")


# ---------------------------------------------------------------- injected faults


def fault_changes(fault_name: str, n: int) -> tuple[Change, ...]:
    """The Changes that inject one page fault into a model with n pages."""
    if n == 0:
        raise ModelError(f"fault {fault_name!r} needs pages (--pages 1 or more)")
    if fault_name == "no-bitmap-rebuild":
        return (Edit("source_return_path_thread: RECV_BITMAP", drop=("bmap",),
                     why="ram_dirty_bitmap_reload does not rebuild bmap from the received"
                         " bitmap"),)
    if fault_name == "no-request-resend":
        return (Edit("loadvm_postcopy_handle_resume", drop=("rp_req",),
                     why="loadvm_postcopy_handle_resume does not re-send the pending"
                         " requests"),)
    if fault_name == "no-discard":
        return (Edit("postcopy_start", drop=("discard",),
                     why="postcopy_start sends no POSTCOPY_RAM_DISCARD"),)
    if fault_name == "mark-before-place":
        marks = tuple(mark_received(0, n))
        out: list[Change] = []
        for p in range(n):
            for v in range(MAX_VERSION + 1):
                out.append(Edit(load_postcopy(p, v, n).name, assign=mark_received(p, n),
                                why="receivedmap set when the page is read"))
            out.append(Edit(place_page(p, n).name, drop=marks,
                            why="not when it is placed"))
        return tuple(out)
    raise ModelError(f"no injected fault {fault_name!r}")

FAULT_SUMMARIES = {
    "no-bitmap-rebuild": "injected fault (needs --pages): the source does not rebuild its dirty"
                         " bitmap from the received bitmap",
    "no-request-resend": "injected fault (needs --pages): page requests pending at the break"
                         " are not re-sent after RESUME",
    "mark-before-place": "injected fault (needs --pages): the destination marks a page received"
                         " before placing it",
    "no-discard": "injected fault (needs --pages): postcopy_start sends no DISCARD, stale"
                  " precopy pages stay",
}
