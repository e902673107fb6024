"""« Export » (``/console/export.csv``): the queue as filtered and sorted on the queue page
(the same query string, read by ``queue.read_filters``) as a CSV file — ``staff.export``'s
rows, without contact data, the export audited. ``?format=tableur`` gives the dialect French
spreadsheets open by a double click (semicolon, UTF-8 with a byte-order mark)."""

from __future__ import annotations

from starlette.responses import Response, StreamingResponse

from service.errors import DomainError
from service.staff import export
from service.staff.permissions import covered_bodies, require_item_work
from service.web.console.auth import StaffPage, refused, require_staff
from service.web.console.queue import read_filters
from service.web.rendering import Endpoint, Web

PATH = "/console/export.csv"


def export_csv(web: Web) -> Endpoint:
    async def endpoint(staff: StaffPage) -> Response:
        services, params = web.services, staff.request.query_params
        filters = read_filters(web, params)
        dialect = (
            export.Dialect.SPREADSHEET_FR
            if params.get("format") == export.Dialect.SPREADSHEET_FR.value
            else export.Dialect.CSV
        )
        now = services.clock()
        try:
            identity = require_item_work(staff.identity, "items:read")
            bodies = covered_bodies(identity, services.reference)
            async with services.db.reading() as session:
                found = await export.queue_items(
                    session, identity, bodies, filters.queue, filters.order
                )
        except DomainError as error:
            return refused(web, staff, error)
        async with services.db.writing() as session:
            export.audit_export(session, identity, filters.queue, filters.order, len(found), now)
        headers = web.headers(staff.page, private=True)
        headers["Content-Disposition"] = (
            f'attachment; filename="file-{now.strftime("%Y%m%d-%H%M")}.csv"'
        )
        lines = export.csv_lines(found, services.reference, staff.page.translator, now, dialect)
        return StreamingResponse(lines, media_type="text/csv; charset=utf-8", headers=headers)

    return require_staff(web, endpoint)
