"""FastAPI dependency aliases: routes declare what they need, the composition root (bootstrap) provides it."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from frmr_sso.bootstrap import Container


def container_of(request: Request) -> Container:
    container: Container = request.app.state.container
    return container


async def get_container(request: Request) -> Container:
    """``async``: FastAPI runs a plain ``def`` dependency in its thread pool, a hop per request."""
    return container_of(request)


ContainerDep = Annotated[Container, Depends(get_container)]
