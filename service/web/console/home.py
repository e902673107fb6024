"""The console's first page: the queue (filled in by ``queue``)."""

from __future__ import annotations

from starlette.responses import Response

from service.web.console.auth import StaffPage, render, require_staff
from service.web.rendering import Endpoint, Web


def queue_page(web: Web) -> Endpoint:
    async def endpoint(staff: StaffPage) -> Response:
        return render(web, staff, "console/queue.html", nav="queue")

    return require_staff(web, endpoint)
