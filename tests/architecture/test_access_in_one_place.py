"""Access in one place: ``Model.objects.for_user(user, action)`` (``ville_hopital.access``) is the only
rule of who sees or changes which rows, written beside each model in its queryset.

Read from the source (AST, not text): the wrappers it replaced are neither defined nor called again,
and the membership join that the rule is made of (``memberships__user``) and the member roles'
grouping (``WRITER_ROLES``) appear in ``establishments/models.py`` alone. Everything else asks
``for_user`` (or ``establishments.access``, which asks it about one establishment).
"""

from __future__ import annotations

import ast
import tomllib
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

#: The access wrappers and role helpers ``for_user`` replaced: none may come back, by any spelling
#: of a call or a definition.
REMOVED = frozenset({
    "for_professional", "for_establishment_member", "writable_by", "owned_by", "mission_for_hr",
    "contract_for_user_queryset", "my_missions", "require_writer", "require_admin", "membership_for",
    "membership_of", "_is_writer_of",
})
#: Names that make up the access rule itself, allowed only where the rule is written.
RULE_PARTS = {"memberships__user": "establishments/models.py", "WRITER_ROLES": "establishments/models.py"}


def source_files() -> Iterator[Path]:
    """The project's own modules (the apps import-linter knows), migrations aside."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["importlinter"]
    for package in config["root_packages"]:
        for path in sorted((ROOT / package).rglob("*.py")):
            if "migrations" not in path.parts:
                yield path


def removed_uses(tree: ast.AST) -> list[tuple[int, str]]:
    """(line, name) of each definition or call of a removed wrapper."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name in REMOVED:
            found.append((node.lineno, node.name))
        elif isinstance(node, ast.Call):
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            if name in REMOVED:
                found.append((node.lineno, name))
        elif isinstance(node, ast.ImportFrom):
            found += [(node.lineno, alias.name) for alias in node.names if alias.name in REMOVED]
    return found


def rule_parts_used(tree: ast.AST) -> list[tuple[int, str]]:
    """(line, part) of each keyword argument, string or name that spells a part of the access rule
    (``filter(memberships__user=…)``, ``Q(...)``, ``order_by("…")``, ``WRITER_ROLES``)."""
    found = []
    for node in ast.walk(tree):
        texts = []
        if isinstance(node, ast.keyword) and node.arg:
            texts.append(node.arg)
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            texts.append(node.value)
        elif isinstance(node, ast.Name):
            texts.append(node.id)
        elif isinstance(node, ast.ImportFrom):
            texts += [alias.name for alias in node.names]
        found += [(getattr(node, "lineno", 0), part) for part in RULE_PARTS for text in texts if part in text]
    return found


def _docstrings(tree: ast.AST) -> set[int]:
    """The ids of docstring nodes: prose may name the rule."""
    ids = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                ids.add(id(first.value))
    return ids


def _without_docstrings(tree: ast.AST) -> ast.AST:
    docs = _docstrings(tree)
    for node in ast.walk(tree):
        if isinstance(node, ast.Expr) and id(node.value) in docs:
            node.value = ast.Constant(value="")
    return tree


def test_the_removed_access_wrappers_never_come_back():
    offenders = [
        f"{path.relative_to(ROOT)}:{line}: {name}"
        for path in source_files()
        for line, name in removed_uses(ast.parse(path.read_text(encoding="utf-8")))
    ]
    assert not offenders, "use Model.objects.for_user(user, VIEW | CHANGE | ADMIN):\n" + "\n".join(offenders)


def test_the_access_rule_is_written_beside_the_models_only():
    offenders = []
    for path in source_files():
        relative = path.relative_to(ROOT).as_posix()
        tree = _without_docstrings(ast.parse(path.read_text(encoding="utf-8")))
        offenders += [
            f"{relative}:{line}: {part}" for line, part in rule_parts_used(tree) if RULE_PARTS[part] != relative
        ]
    assert not offenders, "a hand-written access filter; ask for_user instead:\n" + "\n".join(offenders)


def test_the_checks_see_a_hand_written_rule():
    """Each check finds what it is there to find (a scan that reads nothing would pass too)."""
    sample = ast.parse(
        "from establishments.services import require_writer\n"
        "def owned_by(self, user):\n"
        "    return Mission.objects.for_professional(user)\n"
        "shifts = Shift.objects.filter(establishment__memberships__user=user, role__in=WRITER_ROLES)\n"
        "first = sites.order_by('memberships__user__email')\n"
    )
    assert {name for _, name in removed_uses(sample)} == {"require_writer", "owned_by", "for_professional"}
    assert sorted(rule_parts_used(sample)) == [(4, "WRITER_ROLES"), (4, "memberships__user"), (5, "memberships__user")]
    assert len(list(source_files())) > 100
