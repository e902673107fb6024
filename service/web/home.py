"""The home page: the journeys a resident can take."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from service.web.rendering import Endpoint, Web


def home(web: Web) -> Endpoint:
    async def endpoint(request: Request) -> Response:
        return web.render(web.page(request), "home.html")

    return endpoint
