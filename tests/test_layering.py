"""The core packages import no web framework, SQL toolkit or Redis client (docs/architecture.md)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "frmr_sso"
CORE = ("oauth", "oidc", "jose", "security", "second_factor", "identity", "audit", "registry")
FRAMEWORKS = (
    "fastapi", "starlette", "sqlalchemy", "redis",
    "frmr_sso.web", "frmr_sso.storage.sql", "frmr_sso.storage.kv",
)


def imported_modules(source: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(source.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


@pytest.mark.parametrize("package", CORE)
def test_a_core_package_imports_no_framework(package: str) -> None:
    offending = {
        f"{source.relative_to(PACKAGE)}: {name}"
        for source in sorted((PACKAGE / package).rglob("*.py"))
        for name in imported_modules(source)
        if any(name == banned or name.startswith(banned + ".") for banned in FRAMEWORKS)
    }
    assert not offending


def test_the_check_sees_a_framework_import(tmp_path: Path) -> None:
    module = tmp_path / "m.py"
    module.write_text("from fastapi import Request\nimport sqlalchemy.ext\n", encoding="utf-8")
    assert {"fastapi", "sqlalchemy.ext"} <= imported_modules(module)
