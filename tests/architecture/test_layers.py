"""The README's layers are checked by `make lint` (import-linter, contracts in pyproject.toml)."""

from __future__ import annotations

import ast
import re
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"


def _lint_imports(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(LINT_IMPORTS), "--no-cache", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=120)


def test_make_lint_runs_import_linter():
    lint = re.search(r"^lint:.*\n((?:\t.*\n)+)", (ROOT / "Makefile").read_text(encoding="utf-8"), re.M)
    assert lint and "lint-imports" in lint[1]


def test_the_layers_hold():
    result = _lint_imports()
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    assert "Contracts: 5 kept, 0 broken." in result.stdout


def test_the_contracts_see_a_break(tmp_path):
    """The same apps with their layers upside down: every app that imports one below it is caught,
    so the check reads the real imports (a contract that cannot fail would pass here too)."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["importlinter"]
    layers = next(c for c in config["contracts"] if c["id"] == "apps-in-layers")["layers"]
    upside_down = "\n".join(f"    {layer}" for layer in reversed(layers))
    (tmp_path / "reversed.ini").write_text(
        "[importlinter]\nroot_packages =\n" + "\n".join(f"    {p}" for p in config["root_packages"])
        + "\n\n[importlinter:contract:reversed]\nname = upside down\ntype = layers\nlayers =\n" + upside_down + "\n",
        encoding="utf-8",
    )
    result = _lint_imports(str(tmp_path / "reversed.ini"))
    assert result.returncode == 1
    assert "dashboards" in result.stdout and "BROKEN" in result.stdout


def test_the_missions_layers_see_a_break(tmp_path):
    """missions' own parts upside down (core above platform): the imports between them are caught."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["importlinter"]
    layers = next(c for c in config["contracts"] if c["id"] == "missions-in-layers")["layers"]
    upside_down = "\n".join(f"    {layer}" for layer in reversed(layers))
    (tmp_path / "reversed.ini").write_text(
        "[importlinter]\nroot_packages =\n" + "\n".join(f"    {p}" for p in config["root_packages"])
        + "\n\n[importlinter:contract:reversed]\nname = upside down\ntype = layers\ncontainers =\n    missions\n"
        + "layers =\n" + upside_down + "\n",
        encoding="utf-8",
    )
    result = _lint_imports(str(tmp_path / "reversed.ini"))
    assert result.returncode == 1
    for importer in ("missions.platform", "missions.booking", "missions.contracts"):
        assert f"{importer} is not allowed to import" in result.stdout, result.stdout[-3000:]


#: The packages whose imports the layers govern (the apps and the project package).
APP_PACKAGES = ("accounts", "dashboards", "directories", "establishments", "missions", "notifications", "professionals",
                "reference", "territories", "ville_hopital", "webhooks")


def imports_inside_functions(source: str) -> list[tuple[int, str]]:
    """(line, function name) of each import inside a function, but those of ``AppConfig.ready`` (the
    app registry is ready only then) and those whose line or comment just above says "not a cycle"."""
    lines = source.splitlines()
    found = []
    for function in ast.walk(ast.parse(source)):
        if not isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef) or function.name == "ready":
            continue
        for node in ast.walk(function):
            if isinstance(node, ast.Import | ast.ImportFrom):
                said = " ".join(lines[max(node.lineno - 4, 0):node.lineno]).lower()
                if "not a cycle" not in said:
                    found.append((node.lineno, function.name))
    return found


def test_no_import_inside_a_function_dodges_a_cycle():
    """The README's rule: an import inside a function says why it is not dodging a cycle."""
    offenders = [
        f"{path.relative_to(ROOT)}:{line} (in {name})"
        for package in APP_PACKAGES
        for path in sorted((ROOT / package).rglob("*.py"))
        if "migrations" not in path.parts
        for line, name in imports_inside_functions(path.read_text(encoding="utf-8"))
    ]
    assert not offenders, offenders


def test_the_import_check_sees_one():
    source = "def f():\n    from missions import tasks\n\n\ndef g():\n    # not a cycle: heavy, rarely used\n    import weasyprint\n"
    assert imports_inside_functions(source) == [(2, "f")]
