"""The native explorer: breadth-first search over packed states in generated C.

`explore_native` returns a `NativeGraph`, which implements the explorer's `Graph` protocol,
so every property kind is decided by `decide` exactly as on the Python explorer's graph; the
state numbering (BFS order, first discovery), the edges (in successor order), the parent
links and so every count and counterexample are identical.

Memory per state: the packed words, a 4-byte parent link and its action, the out-degree, the
fair-actor mask and the marks; per edge a 4-byte target and its action; the state table
holds 4-byte indices (load at most 0.7) and is freed when exploration ends.

Marked predicates are evaluated as each state is expanded, one bit per state each: the
invariants and witnesses (watched: the first state where one fails is the state `decide`
would pick, the lowest index, and exploration can stop as soon as every watched predicate has
failed) and the conditions the other decisions ask about (`decide.evaluated`), so deciding
needs no pass over the states for them.

Several workers: each round's chunk of states is expanded in slices on threads (the C code
runs without the GIL), and the state table is split into partitions by a hash of the packed
state, each partition looked up on its own thread; the new states are then numbered in the
order a one-worker search finds them (see core.c), so the result does not depend on the
number of workers.  A distributed explorer keeps the same phases with a process per
partition: expanding a slice can happen anywhere, a successor is looked up by the partition
its hash names (`mc_owner`), numbering is a merge of each partition's
new states by first occurrence (small: new states only), and placing states and edges goes
by those numbers.  `save` writes the graph's arrays; `resume=` rebuilds each partition's
table from the states, for any number of partitions.
"""

from __future__ import annotations

import ctypes
import json
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from migcheck.checker.compile import CompiledModel, DomainError, State
from migcheck.checker.explore import Arrays, Path as StatePath
from migcheck.checker.expr import Expr
from migcheck.checker.native.build import EXPLORER, Library, load
from migcheck.checker.native.cgen import MAX_MARKED, Generator, dtypes
from migcheck.checker.native.layout import Layout, Slot

CHUNK = 1 << 16  # states expanded per worker per round
_INFO = 6 + 64


class _Memory:
    """Owns the C graph; every numpy view of its arrays keeps it alive."""

    def __init__(self, lib: ctypes.CDLL, handle: int):
        self.lib, self.handle = lib, handle

    def __del__(self) -> None:
        self.lib.mc_graph_free(self.handle)


def _view(owner: _Memory, address: int, count: int, dtype: type) -> np.ndarray:
    """A read-only numpy view of C memory that keeps the memory alive."""
    if count == 0 or not address:
        return np.zeros(0, dtype=dtype)
    buf = (ctypes.c_char * (count * np.dtype(dtype).itemsize)).from_address(address)
    buf.owner = owner  # type: ignore[attr-defined]
    arr = np.frombuffer(buf, dtype=dtype, count=count)
    arr.flags.writeable = False
    return arr


@dataclass
class NativeGraph:
    """The reachable graph in C memory (see the module doc)."""

    compiled: CompiledModel
    layout: Layout
    library: Library
    memory: _Memory
    workers: int = 1
    marked: tuple[Expr, ...] = ()  # evaluated at every expanded state (one bit each)
    watched: dict[Expr, int | None] = field(default_factory=dict)
    complete: bool = False
    interrupted: bool = False
    seconds: float = 0.0
    domain_error: DomainError | None = None
    table_bytes: int = 0  # the state table's size at its largest (freed after exploring)

    @property
    def compile_seconds(self) -> float:
        return self.library.compile_seconds

    def _info(self) -> tuple[list[int], list[int]]:
        sizes = (ctypes.c_uint64 * 4)()
        ptrs = (ctypes.c_void_p * 8)()
        self.library.lib.mc_graph_info(self.memory.handle, sizes, ptrs)
        return list(sizes), [p or 0 for p in ptrs]

    @property
    def n(self) -> int:
        return self._info()[0][0]

    @property
    def edges(self) -> int:
        return self._info()[0][1]

    @property
    def expanded(self) -> int:
        return self._info()[0][2]

    @property
    def self_loops(self) -> int:
        return self._info()[0][3]

    @property
    def transitions(self) -> int:
        return self.edges + self.self_loops

    def _arrays(self) -> dict[str, np.ndarray]:
        (n, ne, expanded, _), (states, parent, pact, deg, fair, dst, eact, marks) = self._info()
        types = dtypes(self.compiled, self.marked)
        m = self.memory
        return {
            "states": _view(m, states, n * self.layout.words, np.uint64).reshape(
                n, self.layout.words),
            "parent": _view(m, parent, n, np.int32),
            "pact": _view(m, pact, n, types["act"]),
            "deg": _view(m, deg, expanded, types["deg"]),
            "fair": _view(m, fair, expanded, types["fair"]),
            "dst": _view(m, dst, ne, np.int32),
            "act": _view(m, eact, ne, types["act"]),
            "marks": _view(m, marks, expanded, types["mark"]),
        }

    @property
    def max_depth(self) -> int:
        """The depth of the last state found (BFS numbers states by depth): cheap."""
        parent = self._arrays()["parent"]
        node, depth = self.n - 1, 0
        while node > 0:
            node, depth = int(parent[node]), depth + 1
        return depth

    def depths(self) -> np.ndarray:
        out = np.zeros(self.n, dtype=np.int32)
        self.library.lib.mc_depths(self.memory.handle, out.ctypes.data)
        return out

    def state(self, i: int) -> State:
        return self.layout.unpack(self._arrays()["states"][i])

    def path_to(self, target: int) -> StatePath:
        a = self._arrays()
        parent, pact = a["parent"], a["pact"]
        path: StatePath = []
        node = target
        while node != -1:
            path.append((int(pact[node]) if node else None, node))
            node = int(parent[node])
        path.reverse()
        return path

    def arrays(self) -> Arrays:
        a = self._arrays()
        deg = a["deg"]
        src = np.repeat(np.arange(len(deg), dtype=np.int32), deg)
        indptr = np.zeros(self.n + 1, dtype=np.int64)
        np.cumsum(deg, dtype=np.int64, out=indptr[1:len(deg) + 1])
        indptr[len(deg) + 1:] = indptr[len(deg)]
        return Arrays(src, a["dst"], a["act"], self.depths(), a["fair"], indptr)

    def evaluated(self, expr: Expr) -> np.ndarray | None:
        """Where `expr` holds, if it was marked and every state was expanded."""
        if not self.complete or expr not in self.marked:
            return None
        bit = self.marked.index(expr)
        return ((self._arrays()["marks"] >> bit) & 1).astype(bool)

    def bytes_stored(self) -> int:
        """What the graph keeps per state and per edge (the state table counted at its
        largest): the figure behind 'bytes per state'."""
        a = self._arrays()
        return sum(v.nbytes for v in a.values()) + self.table_bytes

    def project(self, cols: tuple[int, ...]) -> tuple[np.ndarray, list[tuple]]:
        n = self.n
        if not cols:
            return np.zeros(n, dtype=np.int64), [()]
        slots = [self.layout.slots[s] for c in cols for s in self.layout.var_slots[c]]
        code, rows = self._codes(slots)
        distinct = [self._values(cols, row) for row in rows]
        narrow = next(t for t in (np.uint8, np.uint16, np.int32, np.int64)
                      if len(distinct) <= np.iinfo(t).max)
        return code.astype(narrow), distinct  # decisions keep many of these: keep them small

    def _codes(self, slots: list[Slot]) -> tuple[np.ndarray, list[list[int]]]:
        """Codes of the states' values at `slots` (first-appearance order) and, per code,
        the raw bits of each slot."""
        lib, n = self.library.lib, self.n
        groups: list[list[Slot]] = [[]]
        for s in slots:
            if sum(x.width for x in groups[-1]) + s.width > 64:
                groups.append([])
            groups[-1].append(s)
        code = np.zeros(n, dtype=np.int32)
        rows: list[list[int]] = [[]]
        for group in groups:
            part = np.empty(n, dtype=np.int32)
            distinct = np.empty(max(n, 1), dtype=np.uint64)
            spec = [np.array([getattr(s, f) for s in group], dtype=np.int32)
                    for f in ("word", "shift", "width")]
            count = lib.mc_project(self.memory.handle, len(group), spec[0].ctypes.data,
                                   spec[1].ctypes.data, spec[2].ctypes.data, part.ctypes.data,
                                   distinct.ctypes.data)
            if count < 0:
                raise MemoryError("out of memory while coding a projection")
            offsets = np.cumsum([0] + [x.width for x in group[:-1]]).tolist()
            fields = list(zip(offsets, [x.mask for x in group], strict=True))
            raw = [[(k >> at) & mask for at, mask in fields] for k in distinct[:count].tolist()]
            del distinct
            if len(rows) == 1 and not rows[0]:
                code, rows = part, raw
                continue
            combined = code.astype(np.uint64) * np.uint64(len(raw)) + part.astype(np.uint64)
            code, pairs = _dedupe(lib, combined)
            rows = [rows[int(p) // len(raw)] + raw[int(p) % len(raw)] for p in pairs]
        return code, rows

    def _values(self, cols: tuple[int, ...], raw: list[int]) -> tuple:
        out: list[object] = []
        k = 0
        for c in cols:
            slots = [self.layout.slots[s] for s in self.layout.var_slots[c]]
            values = [Layout.value(s, raw[k + i]) for i, s in enumerate(slots)]
            k += len(slots)
            out.append(tuple(values) if self.layout.tuple_size[c] is not None else values[0])
        return tuple(out)


def _dedupe(lib: ctypes.CDLL, keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    keys = np.ascontiguousarray(keys, dtype=np.uint64)
    codes = np.empty(len(keys), dtype=np.int32)
    distinct = np.empty(max(len(keys), 1), dtype=np.uint64)
    count = lib.mc_codes(keys.ctypes.data, len(keys), codes.ctypes.data, distinct.ctypes.data)
    if count < 0:
        raise MemoryError("out of memory while coding a projection")
    return codes, distinct[:count].copy()


Progress = Callable[[NativeGraph, float], None]


def marking(watch: tuple[Expr, ...], mark: tuple[Expr, ...]) -> tuple[Expr, ...]:
    """The predicates to evaluate at every state: the watched ones first (their bits are the
    watch mask's), then the others, at most MAX_MARKED in all."""
    return tuple(dict.fromkeys((*watch, *mark)))[:MAX_MARKED]


def compile_native(compiled: CompiledModel, marked: tuple[Expr, ...] = ()) -> Library:
    """The model's C code built (or found in the cache) and loaded."""
    return load(Generator(compiled, Layout.of(compiled.model), marked).source(), EXPLORER)


def explore_native(
    compiled: CompiledModel,
    *,
    workers: int = 1,
    watch: tuple[Expr, ...] = (),
    mark: tuple[Expr, ...] = (),
    stop_when_watched: bool = False,
    progress: Progress | None = None,
    every: float = 0.5,
    max_states: int | None = None,
    chunk: int = CHUNK,
    resume: Path | None = None,
) -> NativeGraph:
    """Explore the whole reachable graph natively (stops early on Ctrl-C, at max_states, at an
    out-of-domain assignment, or, with `stop_when_watched`, once every watched predicate has
    failed somewhere).  The `watch` and `mark` predicates are evaluated at every expanded
    state (`NativeGraph.evaluated`); the first state where each watched one fails is kept."""
    watch = tuple(dict.fromkeys(watch))[:MAX_MARKED]
    marked = marking(watch, mark)
    layout = Layout.of(compiled.model)
    library = compile_native(compiled, marked)
    lib = library.lib
    memory = _Memory(lib, lib.mc_graph_new())
    graph = NativeGraph(compiled, layout, library, memory, workers, marked,
                        watched=dict.fromkeys(watch))
    tables = [lib.mc_table_new() for _ in range(workers)]
    slices = [lib.mc_slice_new() for _ in range(workers)]
    try:
        if resume is None:
            _start(graph, tables)
        else:
            _restore(graph, tables, resume)
        _run(graph, tables, slices, watch, stop_when_watched, progress, every, max_states,
             chunk)
    finally:
        graph.table_bytes = sum(lib.mc_table_bytes(t) for t in tables)
        for t in tables:
            lib.mc_table_free(t)
        for s in slices:
            lib.mc_slice_free(s)
    return graph


def save(graph: NativeGraph, path: Path) -> None:
    """Write the explored graph (complete or not) to `path` (.npz): `explore_native(...,
    resume=path)` with the same model, watched predicates and any number of workers goes on
    from there."""
    a = graph._arrays()
    meta = {"library": graph.library.path.stem, "expanded": graph.expanded,
            "self_loops": graph.self_loops, "watched": list(graph.watched.values())}
    with path.open("wb") as out:
        np.savez(out, meta=np.array(json.dumps(meta)), **a)


def _start(graph: NativeGraph, tables: list[int]) -> None:
    lib, handle = graph.library.lib, graph.memory.handle
    init = np.array(graph.layout.pack(graph.compiled.model.initial()), dtype=np.uint64)
    _check(lib.mc_graph_add_initial(handle, init.ctypes.data))
    owner = lib.mc_owner(init.ctypes.data, len(tables))
    _check(lib.mc_table_add_initial(tables[owner], handle))


def _restore(graph: NativeGraph, tables: list[int], path: Path) -> None:
    lib, handle = graph.library.lib, graph.memory.handle
    with np.load(path) as saved:
        meta = json.loads(str(saved["meta"]))
        if meta["library"] != graph.library.path.stem:
            raise ValueError(f"{path}: saved from another model or other watched predicates")
        a = {k: np.ascontiguousarray(saved[k]) for k in
             ("states", "parent", "pact", "deg", "fair", "dst", "act", "marks")}
    _check(lib.mc_graph_restore(handle, len(a["parent"]), len(a["dst"]), meta["expanded"],
                                meta["self_loops"], *(a[k].ctypes.data for k in a)))
    for q, table in enumerate(tables):
        _check(lib.mc_table_rebuild(table, handle, q, len(tables)))
    graph.watched = dict(zip(graph.watched, meta["watched"], strict=True))


def _check(code: int) -> None:
    if code == -2:
        raise MemoryError("more than 2**31 states: beyond the native explorer's indices")
    if code != 0:
        raise MemoryError("out of memory while exploring")


def _run(graph: NativeGraph, tables: list[int], slices: list[int], watch: tuple[Expr, ...],
         stop_when_watched: bool, progress: Progress | None, every: float,
         max_states: int | None, chunk: int) -> None:
    lib, handle, workers = graph.library.lib, graph.memory.handle, graph.workers
    table_array = (ctypes.c_void_p * workers)(*tables)
    open_mask = sum(1 << j for j, w in enumerate(watch) if graph.watched[w] is None)
    pool = ThreadPoolExecutor(workers) if workers > 1 else None
    started = last = time.perf_counter()
    info = np.zeros(_INFO, dtype=np.int64)
    try:
        while True:
            lo, n = graph.expanded, graph.n
            if lo >= n:
                graph.complete = True
                break
            hi = min(n, lo + chunk * workers)
            _check(lib.mc_graph_prepare(handle, hi))
            cuts = [lo + (hi - lo) * k // workers for k in range(workers + 1)]
            jobs = [(k, cuts[k], cuts[k + 1]) for k in range(workers) if cuts[k] < cuts[k + 1]]

            def expand(job: tuple[int, int, int], watching: int = open_mask) -> int:
                k, a, b = job
                return lib.mc_expand(handle, slices[k], a, b, watching)

            codes = list(pool.map(expand, jobs)) if pool else [expand(j) for j in jobs]
            for code in codes:
                _check(code)
            ran: list[int] = []  # the slices of this round, in order, up to an error
            error: tuple[int, int] | None = None
            for k, _, _ in jobs:
                lib.mc_slice_info(slices[k], info.ctypes.data)
                ran.append(slices[k])
                for j in range(len(watch)):
                    if (int(info[5]) >> j) & 1 and graph.watched[watch[j]] is None:
                        graph.watched[watch[j]] = int(info[6 + j])
                        open_mask &= ~(1 << j)
                if info[3] >= 0:
                    error = (int(info[3]), int(info[4]))
                    break
            used = len(ran)
            slice_array = (ctypes.c_void_p * used)(*ran)

            def insert(q: int, ran: ctypes.Array = slice_array, used: int = used) -> int:
                return lib.mc_insert(handle, tables[q], ran, used, q, workers)

            codes = list(pool.map(insert, range(workers))) if pool else [insert(0)]
            for code in codes:
                _check(code)
            _check(lib.mc_number(handle, table_array, workers, slice_array, used))
            starts = [0]
            for k in ran[:-1]:
                lib.mc_slice_info(k, info.ctypes.data)
                starts.append(starts[-1] + int(info[0]))
            base = graph.edges

            def place(q: int) -> None:
                lib.mc_place(handle, tables[q])

            def edges(k: int, ran: list[int] = ran, starts: list[int] = starts,
                      base: int = base) -> None:
                lib.mc_edges(handle, table_array, workers, ran[k], base + starts[k])

            if pool:
                list(pool.map(place, range(workers)))
                list(pool.map(edges, range(used)))
            else:
                place(0)
                edges(0)
            lib.mc_finish(handle, slice_array, used)
            if error is not None:
                graph.domain_error = _domain_error(graph, error[0])
                break
            if stop_when_watched and watch and not open_mask:
                break
            if max_states is not None and graph.n > max_states:
                break
            now = time.perf_counter()
            if progress is not None and now - last >= every:
                last = now
                progress(graph, now - started)
    except KeyboardInterrupt:
        graph.interrupted = True
    finally:
        if pool is not None:
            pool.shutdown(wait=True)
        graph.seconds = time.perf_counter() - started


def _domain_error(graph: NativeGraph, state: int) -> DomainError:
    """The same error the Python successor function raises on that state."""
    try:
        graph.compiled.successors(graph.state(state))
    except DomainError as exc:
        return exc.at(state)
    raise AssertionError("the native and Python explorers disagree on a domain check")
