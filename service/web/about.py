"""The accessibility statement (required by law, RGAA 4.1) and the personal-data page,
built from the register of processing the API serves (``processingRegister``)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from service.privacy.queries import processing_register
from service.web.rendering import Endpoint, Web


def accessibility(web: Web) -> Endpoint:
    async def endpoint(request: Request) -> Response:
        return web.render(web.page(request), "accessibility.html")

    return endpoint


def personal_data(web: Web) -> Endpoint:
    async def endpoint(request: Request) -> Response:
        page = web.page(request)
        register = processing_register(page.translator, web.services.retention_periods)
        return web.render(page, "personal_data.html", nav="data", register=register)

    return endpoint
