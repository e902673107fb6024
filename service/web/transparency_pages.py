"""The annual transparency report as a page and as downloads (HTML, Markdown, JSON), in the
reader's language: built by ``service.privacy.transparency``, as the command
``transparency-report`` and the API's ``transparencyReport`` are."""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from service.errors import N_, DomainError
from service.privacy import transparency
from service.privacy.errors import PrivacyErrorCode
from service.trends.endpoints import today_in_angers
from service.web.rendering import Endpoint, Page, Web

YEARS_SHOWN = 6
FORMATS = {
    "md": "text/markdown; charset=utf-8",
    "json": "application/json",
    "html": "text/html; charset=utf-8",
}


def _year(raw: str | None, default: int) -> int | None:
    if raw is None or raw == "":
        return default
    return int(raw) if len(raw) == 4 and raw.isascii() and raw.isdigit() else None


async def _report(web: Web, page: Page, raw: str | None) -> tuple[dict[str, Any] | None, str]:
    """The report of the year asked for, or None and why not."""
    today = today_in_angers()
    year = _year(raw, today.year - 1)
    try:
        if year is None:
            raise DomainError(
                PrivacyErrorCode.INVALID_YEAR,
                N_("Give the year as four digits, e.g. 2026."),
            )
        transparency.checked_year(year, today)
    except DomainError as error:
        return None, page.translator.gettext(error.message, **error.params)
    async with web.services.db.reading() as session:
        return await transparency.transparency_report(session, year), ""


def _values(page: Page, report: dict[str, Any]) -> dict[str, Any]:
    today = today_in_angers()
    return {
        "report": report,
        "title": transparency.title(report, page.translator),
        "sections": transparency.sections(report, page.translator),
        "years": list(range(today.year, today.year - YEARS_SHOWN, -1)),
    }


def transparency_page(web: Web) -> Endpoint:
    async def endpoint(request: Request) -> Response:
        page = web.page(request)
        report, problem = await _report(web, page, request.query_params.get("annee"))
        if report is None:
            today = today_in_angers()
            return web.render(
                page, "transparency.html", status=400, nav="data", errors={"annee": problem},
                report=None, years=list(range(today.year, today.year - YEARS_SHOWN, -1)),
            )  # fmt: skip
        return web.render(page, "transparency.html", nav="data", **_values(page, report))

    return endpoint


def transparency_download(web: Web) -> Endpoint:
    async def endpoint(request: Request) -> Response:
        page = web.page(request)
        fmt = request.path_params["format"]
        report, problem = await _report(web, page, request.path_params["year"])
        if fmt not in FORMATS:
            report, problem = None, page.translator.gettext(N_("Choose HTML, Markdown or JSON."))
        if report is None:
            return web.render(page, "refused.html", status=404, message=problem)
        translator = page.translator
        name = f"rapport-transparence-{report['year']}-{page.locale}.{fmt}"
        if fmt == "html":
            response = web.render(page, "transparency.html", download=True,
                                  **_values(page, report))  # fmt: skip
        else:
            body = (
                transparency.to_markdown(report, translator)
                if fmt == "md"
                else json.dumps(
                    {
                        **report,
                        "language": page.locale,
                        "title": transparency.title(report, translator),
                        "sections": [asdict(s) for s in transparency.sections(report, translator)],
                    },
                    ensure_ascii=False,
                    indent=2,
                )
            )
            response = Response(body, media_type=FORMATS[fmt], headers=web.headers(page, False))
        response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
        return response

    return endpoint
