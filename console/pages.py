"""The HTML pages: operator console, crew view, public alerts (data comes from the API)."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import FileResponse

__all__ = ["STATIC", "pages_router"]

STATIC = Path(__file__).parent / "static"
PAGES = {
    "/": "console.html",
    "/crew": "crew.html",
    "/public": "public.html",
    "/login": "login.html",
}


def pages_router() -> APIRouter:
    """Routes ``/``, ``/crew``, ``/public`` and ``/login`` (the pages hold no data)."""
    router = APIRouter()

    def page(path: str, name: str) -> None:
        async def serve() -> FileResponse:
            return FileResponse(STATIC / name, headers={"Cache-Control": "no-cache"})

        router.add_api_route(path, serve, methods=["GET"], include_in_schema=False)

    for path, name in PAGES.items():
        page(path, name)
    return router
