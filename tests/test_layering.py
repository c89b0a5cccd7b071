"""The generic checker library sits below the QEMU application, and installs as one package."""

from __future__ import annotations

import ast
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LIBRARY = ROOT / "migcheck" / "checker"
APPLICATION = ("migcheck.model", "migcheck.properties", "migcheck.pagecore",
               "migcheck.realqemu", "migcheck.validate", "migcheck.hypo", "migcheck.commands",
               "migcheck.cli", "migcheck.build", "migcheck.proposals", "migcheck.design")
LAZY = ROOT / "migcheck" / "commands"  # commands may import a heavy engine when they run


def _imports(path: Path) -> list[tuple[str, bool]]:
    """(module, inside a function) for every import of the file."""
    tree = ast.parse(path.read_text())
    local = {id(n) for f in ast.walk(tree) if isinstance(f, ast.FunctionDef | ast.AsyncFunctionDef)
             for n in ast.walk(f)}
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            names = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
        elif isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        else:
            continue
        out += [(n, id(node) in local) for n in names]
    return out


def _files(folder: Path) -> list[Path]:
    return sorted(folder.rglob("*.py"))


def test_the_library_imports_nothing_of_the_application():
    for path in _files(LIBRARY):
        for module, _ in _imports(path):
            assert not module.startswith(APPLICATION), f"{path.relative_to(ROOT)}: {module}"


def test_no_function_local_import_of_migcheck_outside_the_commands():
    folders = [ROOT / "migcheck", ROOT / "model", ROOT / "properties"]
    for path in (p for f in folders for p in _files(f)):
        if path.is_relative_to(LAZY):
            continue
        for module, local in _imports(path):
            assert not (local and module.startswith("migcheck")), \
                f"{path.relative_to(ROOT)} imports {module} inside a function"


def test_the_library_names_no_qemu_thing():
    """Views included: lanes, channels and event variables come from the trace's and the
    report's metadata, links from the application (migcheck.links)."""
    files = _files(LIBRARY) + sorted((LIBRARY / "views" / "assets").glob("*.[jc]s*"))
    for path in files:
        if path.suffix == ".json":
            continue
        text = path.read_text()
        for word in ("qemu", "QEMU", "rp_sem", "src_state", "dst_state", "m2d", "d2m",
                     "EMPTY", '"net"', '"admin"'):
            assert word not in text, f"{path.relative_to(ROOT)} mentions {word}"


@pytest.mark.skipif(sys.platform != "linux", reason="wheel layout checked on Linux")
def test_the_wheel_holds_one_top_level_package(tmp_path):
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w",
                    str(tmp_path), str(ROOT)], check=True, capture_output=True)
    (wheel,) = tmp_path.glob("migcheck-*.whl")
    tops = {name.split("/")[0] for name in zipfile.ZipFile(wheel).namelist()}
    assert {t for t in tops if not t.endswith(".dist-info")} == {"migcheck"}
    names = zipfile.ZipFile(wheel).namelist()
    assert "migcheck/model/source.py" in names and "migcheck/properties/liveness.py" in names
