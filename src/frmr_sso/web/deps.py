"""FastAPI dependency aliases: routes declare what they need, bootstrap.py provides it."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from frmr_sso.bootstrap import Container


def get_container(request: Request) -> Container:
    container: Container = request.app.state.container
    return container


ContainerDep = Annotated[Container, Depends(get_container)]
