"""No module under src/ imports a private (underscore) module of FastAPI, Starlette or Pydantic.

Such modules change without notice between releases; the broker reaches the frameworks through
their public modules only (the hot protocol routes too: ``web/protocol_dispatch.py``).
"""

from __future__ import annotations

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src"
FRAMEWORKS = ("fastapi", "starlette", "pydantic", "pydantic_core", "pydantic_settings")


def private_imports(source: str) -> list[str]:
    """Every framework module named in ``source`` whose dotted path has a part starting with ``_``."""
    found: list[str] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            modules = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            # ``from starlette import _utils`` names a module as well as ``from starlette._utils import``
            modules = [node.module, *(f"{node.module}.{alias.name}" for alias in node.names)]
        else:
            continue
        for module in modules:
            parts = module.split(".")
            if parts[0] in FRAMEWORKS and any(part.startswith("_") for part in parts[1:]):
                found.append(module)
    return found


def test_no_source_module_imports_a_private_framework_module() -> None:
    offending = [
        f"{path.relative_to(SRC)}: {module}"
        for path in sorted(SRC.rglob("*.py"))
        for module in private_imports(path.read_text(encoding="utf-8"))
    ]
    assert offending == []


def test_the_check_sees_each_form_of_a_private_import() -> None:
    source = (
        "from starlette._utils import get_route_path\n"
        "import pydantic._internal._model_construction\n"
        "from fastapi import _compat\n"
        "from fastapi import routing\n"
        "from fastapi.routing import APIRoute\n"
        "from frmr_sso._third_party import silence_known_warnings\n"
    )
    assert private_imports(source) == [
        "starlette._utils",
        "starlette._utils.get_route_path",
        "pydantic._internal._model_construction",
        "fastapi._compat",
    ]
