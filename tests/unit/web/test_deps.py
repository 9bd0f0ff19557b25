"""Routes and middlewares receive the services they name, never the whole container.

The web layer and the cabinet may not reach ``app.state.container`` (only ``web/deps.py``, whose
providers hand one service each, knows where the lifespan keeps them), may not import the composition
root, and no route's parameters (its dependencies' included) are annotated with ``Container``.
"""

from __future__ import annotations

import ast
import importlib
import inspect
import pkgutil
from pathlib import Path
from typing import Annotated, Any, get_args, get_origin, get_type_hints

import pytest
from fastapi.dependencies.models import Dependant
from fastapi.params import Depends
from fastapi.routing import APIRoute, APIRouter

from frmr_sso import web
from frmr_sso.bootstrap import Container
from frmr_sso.web import deps, routes

SRC = Path(web.__file__).resolve().parent.parent
SCANNED = [SRC / "web", SRC / "cabinet"]
PROVIDERS = SRC / "web" / "deps.py"


def _python_files() -> list[Path]:
    return sorted(p for root in SCANNED for p in root.rglob("*.py") if p != PROVIDERS)


def _is_state(node: ast.expr) -> bool:
    return isinstance(node, ast.Attribute) and node.attr == "state"


def service_locator_uses(source: str) -> list[str]:
    """Where ``source`` reaches the container: ``….state.container``, ``getattr(….state, "container")``,
    an import of ``frmr_sso.bootstrap``, or a name ``Container`` / ``ContainerDep`` in an annotation."""
    found: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(source)):
        line = getattr(node, "lineno", 0)
        if isinstance(node, ast.Attribute) and node.attr == "container" and _is_state(node.value):
            found.append((line, "reads state.container"))
        elif (
            isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "getattr"
            and len(node.args) >= 2 and _is_state(node.args[0])
            and isinstance(node.args[1], ast.Constant) and node.args[1].value == "container"
        ):  # fmt: skip
            found.append((line, "getattr(state, 'container')"))
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("frmr_sso.bootstrap"):
            found.append((line, "imports the composition root"))
        elif isinstance(node, ast.arg) and node.annotation is not None:
            names = {n.id for n in ast.walk(node.annotation) if isinstance(n, ast.Name)}
            names |= {n.value for n in ast.walk(node.annotation) if isinstance(n, ast.Constant)}
            if names & {"Container", "ContainerDep"}:
                found.append((line, f"parameter {node.arg} takes the container"))
    return [f"{line}: {what}" for line, what in sorted(found)]


def test_the_scan_finds_each_way_of_reaching_the_container() -> None:
    source = '''
from frmr_sso.bootstrap import Container
def route(request, container: ContainerDep): ...
def helper(c: "Container"): ...
class M:
    async def __call__(self, scope):
        scope["app"].state.container.metrics
        getattr(scope["app"].state, "container", None)
'''
    assert [line.split(": ", 1)[1] for line in service_locator_uses(source)] == [
        "imports the composition root",
        "parameter container takes the container",
        "parameter c takes the container",
        "reads state.container",
        "getattr(state, 'container')",
    ]


@pytest.mark.parametrize("path", _python_files(), ids=lambda p: str(p.relative_to(SRC)))
def test_no_route_middleware_or_helper_reaches_the_container(path: Path) -> None:
    assert service_locator_uses(path.read_text(encoding="utf-8")) == []


def _calls(dependant: Dependant) -> list[Any]:
    return [dependant.call, *(call for sub in dependant.dependencies for call in _calls(sub))]


def _routes() -> list[APIRoute]:
    names = [f"{routes.__name__}.{found.name}" for found in pkgutil.iter_modules(routes.__path__)]
    modules = [importlib.import_module(name) for name in names]
    routers = [r for module in modules for r in vars(module).values() if isinstance(r, APIRouter)]
    return [route for router in routers for route in router.routes if isinstance(route, APIRoute)]


def test_no_route_takes_the_container() -> None:
    routes = _routes()
    assert len(routes) > 40
    for route in routes:
        for call in _calls(route.dependant):
            hints = get_type_hints(call, include_extras=True) if call is not None else {}
            for name, hint in hints.items():
                assert Container not in (hint, *get_args(hint)), f"{route.path}: {name} is the container"


def test_the_providers_hand_out_services_never_the_container() -> None:
    functions = [value for value in vars(deps).values() if inspect.isfunction(value)]
    assert deps.provided in functions
    for function in functions:
        assert get_type_hints(function).get("return") is not Container, function.__name__


def _field_type(path: str) -> Any:
    """The type of ``Container``'s attribute at ``path`` (``"cabinet_requests.support"``)."""
    owner: Any = Container
    for part in path.split("."):
        owner = get_type_hints(owner)[part]
    return owner


def test_each_dependency_hands_the_service_its_type_names() -> None:
    aliases = {name: value for name, value in vars(deps).items() if name.endswith("Dep")}
    assert len(aliases) >= 30
    for name, alias in aliases.items():
        assert get_origin(alias) is Annotated, name
        declared, marker = get_args(alias)[:2]
        assert isinstance(marker, Depends)
        path = marker.dependency.__name__
        assert _field_type(path) == declared, f"{name}: Container.{path} is not {declared}"
