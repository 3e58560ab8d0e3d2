"""The parts of the app contract (docs/adr/009-app-contract.md) that import-linter does not
see: an import inside a function says why, and a status or role is named by its model's
choices, not by a string that would silently stop matching when the choice is renamed."""

import ast
import sys
from pathlib import Path

import pytest
from django.apps import apps

SRC = Path(__file__).resolve().parents[1] / "src" / "plenary"
CHOICE_FIELDS = ("status", "role", "kind", "state", "category")


def _modules():
    for path in sorted(SRC.rglob("*.py")):
        if "migrations" not in path.parts:
            yield path, ast.parse(path.read_text(), filename=str(path))


def _is_project_import(node) -> bool:
    if isinstance(node, ast.ImportFrom):
        return node.level > 0 or (node.module or "").split(".")[0] == "plenary"
    return any(alias.name.split(".")[0] == "plenary" for alias in node.names)


def _function_level_imports(tree):
    for function in ast.walk(tree):
        if isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef):
            for node in ast.walk(function):
                if isinstance(node, ast.Import | ast.ImportFrom) and _is_project_import(node):
                    yield node


def function_level_imports_without_reason() -> list[str]:
    found = []
    for path, tree in _modules():
        lines = path.read_text().splitlines()
        for node in _function_level_imports(tree):
            # the comment may stand above a run of imports that it explains together
            above = node.lineno - 2
            while above >= 0 and lines[above].strip().startswith(("from ", "import ")):
                above -= 1
            if above < 0 or not lines[above].strip().startswith("#"):
                found.append(f"{path.relative_to(SRC.parent)}:{node.lineno}")
    return sorted(set(found))


def test_an_import_inside_a_function_says_why_on_the_line_above():
    assert function_level_imports_without_reason() == []


def test_the_import_scan_finds_an_import_without_a_reason(tmp_path, monkeypatch):
    # The scan itself: a module with a bare import inside a function is reported.
    package = tmp_path / "plenary"
    package.mkdir()
    (package / "bad.py").write_text("def f():\n    from plenary.core import audit\n")
    (package / "good.py").write_text(
        "def f():\n    # needs django.setup() first\n    from plenary.core import audit\n"
        "    from plenary.core import mail\n"
    )
    monkeypatch.setattr(sys.modules[__name__], "SRC", package)
    assert function_level_imports_without_reason() == ["plenary/bad.py:2"]


def _choice_values() -> dict[str, set[str]]:
    """For each field name of CHOICE_FIELDS, the values its models' choices hold."""
    values: dict[str, set[str]] = {name: set() for name in CHOICE_FIELDS}
    for model in apps.get_models():
        if not model.__module__.startswith("plenary."):
            continue
        for field in model._meta.get_fields():
            if field.name in values and getattr(field, "choices", None):
                values[field.name] |= {str(value) for value, _label in field.flatchoices}
    return values


def _literals(node) -> list[str]:
    items = node.elts if isinstance(node, ast.List | ast.Tuple | ast.Set) else [node]
    return [i.value for i in items if isinstance(i, ast.Constant) and isinstance(i.value, str)]


def _field_of_lookup(keyword: str) -> str:
    # status, status__in, group__kind, delegation__category__in → the field compared
    parts = [p for p in keyword.split("__") if p not in ("in", "exact", "iexact")]
    return parts[-1] if parts else ""


def choice_literals(values: dict[str, set[str]]) -> list[str]:
    found = []
    for path, tree in _modules():
        if path.name == "models.py":
            continue  # the choices themselves, and constraints that Meta cannot spell otherwise
        where = path.relative_to(SRC.parent)
        for node in ast.walk(tree):
            if isinstance(node, ast.keyword) and node.arg:
                field = _field_of_lookup(node.arg)
                for literal in _literals(node.value) if field in values else []:
                    if literal in values[field]:
                        found.append(f"{where}:{node.value.lineno} {node.arg}={literal!r}")
            elif isinstance(node, ast.Compare) and isinstance(node.left, ast.Attribute):
                field = node.left.attr
                for comparator in node.comparators if field in values else []:
                    for literal in _literals(comparator):
                        if literal in values[field]:
                            found.append(f"{where}:{node.lineno} .{field} == {literal!r}")
    return sorted(found)


@pytest.mark.django_db
def test_statuses_and_roles_are_named_by_their_models_choices():
    values = _choice_values()
    assert "approved" in values["status"] and "speaker" in values["role"]  # the scan sees them
    assert choice_literals(values) == []
