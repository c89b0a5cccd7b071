"""Locate the real QEMU builds used to record traces, and say why they cannot run here.

Two builds are supported (see scripts/install-qemu.sh):

* ``7.2``  -- Debian bookworm's package, installed at /usr/bin/qemu-system-x86_64
  ("before the fix" of QEMU commit f8c543e808);
* ``10.0`` -- bookworm-backports' package, unpacked into <project>/.qemu/10.0
  ("after the fix"); it needs ``-L`` for its own firmware, or it picks up 7.2's.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import stat
import subprocess
from dataclasses import dataclass
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[2]
VERSIONS = ("7.2", "10.0")
INSTALL_HINT = "run `bash scripts/install-qemu.sh` as root"


def qemu_root() -> Path:
    """Folder holding unpacked QEMU builds (env MIGCHECK_QEMU_ROOT overrides)."""
    return Path(os.environ.get("MIGCHECK_QEMU_ROOT", PROJECT_ROOT / ".qemu"))


@dataclass(frozen=True)
class QemuBuild:
    version: str  # "7.2" or "10.0"
    binary: Path
    firmware_dirs: tuple[Path, ...] = ()

    def base_argv(self) -> list[str]:
        argv = [str(self.binary)]
        for d in self.firmware_dirs:
            argv += ["-L", str(d)]
        return argv

    def version_string(self) -> str:
        """First line of ``--version``, e.g. 'QEMU emulator version 7.2.22 (...)'."""
        out = subprocess.run(
            self.base_argv() + ["--version"],
            capture_output=True,
            text=True,
            timeout=20,
            check=True,
        ).stdout
        return out.splitlines()[0].strip() if out else ""


def check_version(version: str) -> str:
    if version not in VERSIONS:
        raise ValueError(
            f"unknown QEMU version {version!r} (expected one of {', '.join(VERSIONS)})"
        )
    return version


def find_qemu(version: str) -> QemuBuild:
    """The build for ``version`` (its paths; existence is checked by :func:`unavailable_reason`)."""
    check_version(version)
    if version == "7.2":
        return QemuBuild("7.2", Path("/usr/bin/qemu-system-x86_64"))
    root = qemu_root() / "10.0"
    return QemuBuild(
        "10.0",
        root / "usr/bin/qemu-system-x86_64",
        (root / "usr/share/qemu", root / "usr/share/seabios"),
    )


def _userfaultfd_reason() -> str | None:
    dev = Path("/dev/userfaultfd")
    try:
        if stat.S_ISCHR(dev.stat().st_mode) and os.access(dev, os.R_OK | os.W_OK):
            return None
    except OSError:
        pass
    # Without the device node, QEMU falls back to the userfaultfd syscall (root may use it);
    # the sysctl file exists exactly when the kernel has userfaultfd.
    if os.geteuid() == 0 and Path("/proc/sys/vm/unprivileged_userfaultfd").exists():
        return None
    return "/dev/userfaultfd missing or not accessible (postcopy needs userfaultfd)"


def unavailable_reason(version: str) -> str | None:
    """Why real QEMU ``version`` cannot run postcopy here, or None if it can."""
    check_version(version)
    if os.geteuid() != 0:
        return "not root (the destination needs userfaultfd for postcopy-ram)"
    build = find_qemu(version)
    if not (build.binary.is_file() and os.access(build.binary, os.X_OK)):
        return f"QEMU {version} binary missing at {build.binary} ({INSTALL_HINT})"
    for d in build.firmware_dirs:
        if not d.is_dir():
            return f"QEMU {version} firmware folder missing: {d} ({INSTALL_HINT})"
    try:
        vs = build.version_string()
    except (OSError, subprocess.SubprocessError) as e:
        return f"QEMU {version} at {build.binary} does not run: {e}"
    if f"version {version}." not in vs:
        return f"{build.binary} is not QEMU {version}: {vs!r}"
    if shutil.which("socat") is None:
        return f"socat missing ({INSTALL_HINT})"
    reason = _userfaultfd_reason()
    if reason:
        return reason
    if importlib.util.find_spec("qemu") is None or importlib.util.find_spec("qemu.qmp") is None:
        return "Python package qemu.qmp missing (pip install qemu-qmp)"
    return None
