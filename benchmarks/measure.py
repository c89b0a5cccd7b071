"""What the benchmarks share: a child process's own CPU time and peak memory, the machine's
description, and a baseline file to print ratios against.

Times are CPU seconds of the process doing the work (user + system), read with wait4, so a
busy shared machine slows them less than it slows wall-clock times; peak memory is that
process's maximum resident set.
"""

from __future__ import annotations

import datetime
import json
import os
import platform
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Usage:
    output: str
    cpu: float  # seconds, user + system
    peak_mb: float
    code: int


def run(cmd: list[str], cwd: Path | None = None) -> Usage:
    """Run `cmd`, wait for it alone, and read its resource usage."""
    with subprocess.Popen(cmd, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          text=True) as proc:
        assert proc.stdout is not None
        output = proc.stdout.read()
        _, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
    return Usage(output, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024,
                 proc.returncode)


def python(code: str) -> Usage:
    """Run a Python snippet in a fresh interpreter (its last output line is JSON)."""
    return run([sys.executable, "-c", code])


def last_json(usage: Usage) -> dict:
    if usage.code != 0:
        raise RuntimeError(f"benchmark step failed:\n{usage.output[-2000:]}")
    return json.loads(usage.output.strip().splitlines()[-1])


def machine() -> str:
    model = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return f"{model}, {cores} cores, {memory:.0f} GB, Python {platform.python_version()}"


def today() -> str:
    return datetime.date.today().isoformat()


def load_baseline(path: Path) -> dict:
    return json.loads(path.read_text()) if path.exists() else {}


def save_baseline(path: Path, rows: dict) -> None:
    doc = {"date": today(), "machine": machine(), "rows": rows}
    path.write_text(json.dumps(doc, indent=1, sort_keys=True) + "\n")
