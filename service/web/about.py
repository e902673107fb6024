"""The accessibility statement (required by law, RGAA 4.1) and the personal-data page,
built from the register of processing the API serves (``processingRegister``)."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from service.privacy.queries import processing_register
from service.web.rendering import Endpoint, Holes, Web


def accessibility(web: Web) -> Endpoint:
    async def endpoint(request: Request) -> Response:
        return web.render(web.page(request), "accessibility.html")

    return endpoint


def personal_data(web: Web) -> Endpoint:
    async def endpoint(request: Request) -> Response:
        page = web.page(request)

        async def build(holes: Holes) -> dict[str, Any]:
            register = processing_register(page.translator, web.services.retention_periods)
            return {"nav": "data", "register": register}

        # The register changes with the code and settings only: rendered once per language.
        return await web.render_shared(page, "personal_data.html", None, build)

    return endpoint
