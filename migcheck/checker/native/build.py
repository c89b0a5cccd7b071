"""Compile the generated C source with the system C compiler and load it with ctypes.

The shared library is cached on disk under a name made from a hash of the source and the
compiler command, so a model that was checked before loads at once.  Nothing beyond a C
compiler is needed (no Python headers: the library is plain C called through ctypes).
"""

from __future__ import annotations

import ctypes
import hashlib
import os
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

FLAGS = ("-O2", "-fPIC", "-shared", "-std=c11", "-fno-strict-aliasing")


class NativeUnavailable(RuntimeError):
    """No C compiler, or the generated source did not build: use the Python explorer."""


def compiler() -> str | None:
    """The C compiler to use: $CC, else cc or gcc on the PATH (none when MIGCHECK_NATIVE=0:
    the pure-Python paths everywhere)."""
    if os.environ.get("MIGCHECK_NATIVE") == "0":
        return None
    for name in (os.environ.get("CC"), "cc", "gcc"):
        if name and shutil.which(name):
            return name
    return None


def cache_dir() -> Path:
    root = os.environ.get("MIGCHECK_CACHE") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "migcheck")
    return Path(root) / "native"


@dataclass(frozen=True)
class Library:
    lib: ctypes.CDLL
    path: Path
    compile_seconds: float  # 0.0: loaded from the cache


Signatures = dict[str, tuple[object, list[object]]]  # function: (result type, argument types)


def load(source: str, signatures: Signatures) -> Library:
    cc = compiler()
    if cc is None:
        raise NativeUnavailable("no C compiler found (set CC, or install gcc)")
    key = hashlib.sha256("\0".join([cc, *FLAGS, source]).encode()).hexdigest()[:24]
    folder = cache_dir()
    path = folder / f"mc-{key}.so"
    seconds = 0.0
    if not path.exists():
        started = time.perf_counter()
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=folder) as tmp:
            c_file = Path(tmp) / "model.c"
            c_file.write_text(source)
            out = Path(tmp) / "model.so"
            done = subprocess.run([cc, *FLAGS, "-o", str(out), str(c_file)],
                                  capture_output=True, text=True)
            if done.returncode != 0:
                raise NativeUnavailable(f"{cc} failed on the generated source:"
                                        f" {done.stderr.strip()[:2000]}")
            os.replace(out, path)  # atomic: concurrent runs each see a whole library
        seconds = time.perf_counter() - started
    lib = ctypes.CDLL(str(path))
    for name, (res, args) in signatures.items():
        fn = getattr(lib, name)
        fn.restype, fn.argtypes = res, args
    return Library(lib, path, seconds)


p, u64, i64, i32, u32 = (ctypes.c_void_p, ctypes.c_uint64, ctypes.c_int64, ctypes.c_int,
                         ctypes.c_uint32)
EXPLORER: Signatures = {
    "mc_owner": (u32, [p, u32]),
    "mc_graph_new": (p, []),
    "mc_graph_free": (None, [p]),
    "mc_graph_add_initial": (i32, [p, p]),
    "mc_graph_info": (None, [p, p, p]),
    "mc_graph_prepare": (i32, [p, u64]),
    "mc_graph_restore": (i32, [p, u64, u64, u64, u64, p, p, p, p, p, p, p, p]),
    "mc_table_rebuild": (i32, [p, p, u32, u32]),
    "mc_table_new": (p, []),
    "mc_table_free": (None, [p]),
    "mc_table_bytes": (u64, [p]),
    "mc_table_add_initial": (i32, [p, p]),
    "mc_slice_new": (p, []),
    "mc_slice_free": (None, [p]),
    "mc_slice_info": (None, [p, p]),
    "mc_expand": (i32, [p, p, u64, u64, u64]),
    "mc_insert": (i32, [p, p, p, i32, u32, u32]),
    "mc_number": (i32, [p, p, u32, p, i32]),
    "mc_place": (None, [p, p]),
    "mc_edges": (None, [p, p, u32, p, u64]),
    "mc_finish": (None, [p, p, i32]),
    "mc_depths": (None, [p, p]),
    "mc_project": (i64, [p, i32, p, p, p, p, p]),
    "mc_codes": (i64, [p, u64, p, p]),
}
GRAPHS: Signatures = {
    "mc_transpose": (None, [p, p, i64, p, p, p, p]),
    "mc_reach": (i32, [p, p, i64, p, p, p, p]),
    "mc_scc": (i64, [p, p, i64, p, p]),
    "mc_unique": (i64, [p, i64, p, p]),
    "mc_fair_components": (i32, [p, p, p, i64, p, p, i64, p, i64, p]),
}
