"""The README's CI files: valid GitHub-workflow and GitLab-CI documents (against SchemaStore's
published schemas, as vendored by check-jsonschema, so nothing is fetched), whose migcheck
lines are commands migcheck accepts; and `--expect`, the flag their known-bug jobs rest on."""

from __future__ import annotations

import importlib.resources
import json
import re
import shlex
from pathlib import Path

import jsonschema
import pytest
from ruamel.yaml import YAML

from migcheck.cli import build_parser, main, with_defaults

ROOT = Path(__file__).resolve().parents[1]
VENDORED = "check_jsonschema.builtin_schemas.vendor"
FILES = {".github/workflows/migcheck.yml": "github-workflows.json",
         ".gitlab-ci.yml": "gitlab-ci.json"}


def readme_files() -> dict[str, str]:
    """The README's YAML blocks, by the file name in their first line's comment."""
    text = (ROOT / "README.md").read_text()
    blocks = re.findall(r"```yaml\n# (\S+)\n(.*?)```", text, re.S)
    return {name: body for name, body in blocks}


def schema(name: str) -> dict:
    return json.loads((importlib.resources.files(VENDORED) / name).read_text())


def errors(document: object, schema_name: str) -> list[str]:
    validator = jsonschema.Draft7Validator(schema(schema_name))
    return [e.message for e in validator.iter_errors(document)]


def load(body: str) -> object:
    return YAML(typ="safe").load(body)


@pytest.mark.parametrize("name", FILES)
def test_readme_ci_file_is_valid_against_its_published_schema(name):
    files = readme_files()
    assert name in files, f"README has no {name} block"
    assert errors(load(files[name]), FILES[name]) == []


@pytest.mark.parametrize("name", FILES)
def test_the_schema_check_can_fail(name):
    """A job with a misspelt key and a wrong type must be caught, or the test above proves
    nothing."""
    doc = load(readme_files()[name])
    job = doc["jobs"]["check"] if "jobs" in doc else doc["migcheck"]
    job["stepz" if "jobs" in doc else "scirpt"] = 3
    job["timeout-minutes" if "jobs" in doc else "timeout"] = {"not": "a duration"}
    assert errors(doc, FILES[name])


def migcheck_lines(body: str) -> list[list[str]]:
    """Every migcheck command in a CI file, matrix variables filled in."""
    out = []
    for line in body.splitlines():
        command = line.strip().removeprefix("- ").removeprefix("run: ")
        if command.startswith("migcheck "):
            command = re.sub(r"\$\{\{ matrix\.\w+ \}\}|\"\$\w+\"", "qemu-8.2", command)
            out.append(shlex.split(command)[1:])
    return out


def test_every_migcheck_line_in_the_ci_files_parses():
    lines = [argv for body in readme_files().values() for argv in migcheck_lines(body)]
    assert len(lines) == 4
    parser = build_parser()
    for argv in lines:
        args = parser.parse_args(argv)
        assert args.command == "check"
    assert any(any(e.property == "recover-exits" for e in parser.parse_args(a).expect)
               for a in lines)


def test_github_job_may_upload_sarif_and_gitlab_reads_junit():
    files = readme_files()
    gh = load(files[".github/workflows/migcheck.yml"])
    assert gh["permissions"]["security-events"] == "write"
    steps = gh["jobs"]["check"]["steps"]
    upload = next(s for s in steps if s.get("uses", "").startswith(
        "github/codeql-action/upload-sarif"))
    assert upload["with"]["sarif_file"] == "migcheck.sarif" and upload["if"] == "always()"
    gl = load(files[".gitlab-ci.yml"])
    assert gl["migcheck"]["artifacts"]["reports"]["junit"] == "migcheck.xml"
    assert gl["migcheck"]["artifacts"]["when"] == "always"


# ---------------------------------------------------------------- --expect


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_expect_a_known_violation_exits_0_on_72(capsys, tmp_path):
    code, out, _ = run(capsys, "check", "--model", "qemu-7.2", "--pages", "0",
                       "--expect", "recover-exits=violated", "-q", "--traces", str(tmp_path),
                       "--last", str(tmp_path / "last.json"))
    assert code == 0
    assert out.count("\n") == 1 and "as expected (recover-exits=violated)" in out


def test_expect_a_violation_the_fix_removed_exits_1_on_82(capsys, tmp_path):
    code, out, _ = run(capsys, "check", "--model", "qemu-8.2", "--pages", "0", "--failures",
                       "1", "--expect", "recover-exits=violated", "--junit",
                       str(tmp_path / "j.xml"), "--last", str(tmp_path / "last.json"))
    assert code == 1
    assert "expected recover-exits=violated: NOT MET" in out.splitlines()[-1]
    assert 'type="expectation"' in (tmp_path / "j.xml").read_text()


@pytest.mark.parametrize("value, message", [
    ("recover-exits=broken", "--expect takes PROPERTY=violated|holds"),
    ("recover-exits", "--expect takes PROPERTY=violated|holds"),
    ("no-such=holds", "'no-such' is not among the properties checked"),
])
def test_a_bad_expectation_is_one_line_before_exploring(capsys, value, message):
    code, out, err = run(capsys, "check", "--model", "qemu-7.2", "--expect", value)
    assert code == 2 and out == ""
    assert message in err and err.count("\n") == 1


# ---------------------------------------------------------------- [tool.migcheck]


def with_pyproject(tmp_path: Path, monkeypatch, table: str) -> None:
    (tmp_path / ".git").mkdir()
    (tmp_path / "pyproject.toml").write_text(table)
    monkeypatch.chdir(tmp_path)


def test_pyproject_defaults_fill_in_flags_the_command_line_does_not_give(tmp_path,
                                                                           monkeypatch):
    with_pyproject(tmp_path, monkeypatch, """
[tool.migcheck]
model = "qemu-7.2"
failures = 1
depth = 12

[tool.migcheck.check]
pages = 0
expect = ["recover-exits=violated"]
quiet = true
""")
    parser = build_parser()
    args = parser.parse_args(with_defaults(parser, ["check", "--failures", "2"]))
    assert (args.model, args.failures, args.pages, args.quiet) == ("qemu-7.2", 2, 0, True)
    assert [e.describe() for e in args.expect] == ["recover-exits=violated"]
    args = parser.parse_args(with_defaults(parser, ["check", "--expect", "no-deadlock=holds"]))
    assert [e.describe() for e in args.expect] == ["no-deadlock=holds"]
    prove = parser.parse_args(with_defaults(parser, ["prove"]))
    assert (prove.depth, prove.pages) == (12, 0)  # shared table, not check's


@pytest.mark.parametrize("table, message", [
    ("[tool.migcheck]\nfailures = -1\n", "failures: --failures must be between"),
    ("[tool.migcheck]\nfailurs = 1\n", "failurs: no command has this option"),
    ("[tool.migcheck.check]\ndepth = 3\n", "`check` has no such option"),
    ("[tool.migcheck]\nquiet = 1\n", "quiet must be true or false"),
    ("[tool.migcheck\n", "is not valid TOML"),
])
def test_a_bad_pyproject_default_is_one_line_naming_the_file(capsys, tmp_path, monkeypatch,
                                                              table, message):
    with_pyproject(tmp_path, monkeypatch, table)
    code, out, err = run(capsys, "check")
    assert code == 2 and out == ""
    assert message in err and "pyproject.toml" in err and err.count("\n") == 1
