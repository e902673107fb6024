"""The home page, and the pages of journeys still to come (report, request, follow): each
says honestly what to do meanwhile, so no link of the home page leads nowhere."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from service.errors import N_
from service.web.rendering import Endpoint, Web

# What each journey not yet on the web is, and what a resident can do meanwhile.
COMING = {
    "report": N_("Report a problem"),
    "request": N_("Request a service"),
    "follow": N_("Follow my request"),
}


def home(web: Web) -> Endpoint:
    async def endpoint(request: Request) -> Response:
        return web.render(web.page(request), "home.html")

    return endpoint


def coming_soon(web: Web, journey: str) -> Endpoint:
    async def endpoint(request: Request) -> Response:
        page = web.page(request)
        heading = page.gettext(COMING[journey])
        # /suivi may be opened with a tracking token: never cached, never a referrer.
        return web.render(page, "coming_soon.html", heading=heading, private=True)

    return endpoint
