"""The queue (``/console``), its map (``/console/carte``) and what keeps it live
(``/console/nouveaux``): the items of my bodies with the filters and sorts of the GraphQL
``triageQueue``, read by the same ``staff.triage.queue``, a keyset page at a time.

The filters travel in the query string (a filtered queue is a link one can bookmark or send
to a colleague). ``FILTERS`` lists them: a page that adds one (e.g. overdue) adds its entry.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Hashable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import urlencode

from starlette.responses import JSONResponse, Response

from service.errors import N_, DomainError
from service.items.lifecycle import KIND_LABELS, STATUS_LABELS, Status
from service.items.models import DeliveryState, Item, ItemKind
from service.items.rules import as_utc
from service.reference import ReferenceData
from service.routing.due import is_overdue
from service.staff import triage
from service.staff.permissions import covered_bodies, require_item_work
from service.staff.triage import Assignment, QueueFilter, QueueOrder
from service.web.console.auth import StaffPage, refused, render, require_staff
from service.web.rendering import Endpoint, Page, Web

PAGE_SIZE = 25
MAX_PAGE_SIZE = 100
MAP_POINTS = 500  # the map shows at most this many of the filtered queue
LIVE_ROWS = 20
# How long the counts by status may lag behind another process's actions (see StatusCounts).
COUNTS_SECONDS = 5.0
ORDER_LABELS = {
    QueueOrder.OLDEST_FIRST: N_("Oldest first"),
    QueueOrder.NEWEST_FIRST: N_("Newest first"),
    QueueOrder.MOST_SUPPORTED: N_("Most supported first"),
    QueueOrder.DUE_SOONEST: N_("Due soonest first"),
}
ASSIGNMENT_LABELS = {
    Assignment.ANYONE: N_("Anyone"),
    Assignment.ME: N_("Assigned to me"),
    Assignment.UNASSIGNED: N_("Unassigned"),
}
DELIVERY_LABELS = {
    DeliveryState.PENDING: N_("Waiting to be delivered"),
    DeliveryState.DELIVERED: N_("Delivered"),
    DeliveryState.FAILED: N_("Delivery failed"),
    DeliveryState.TRIAGE: N_("In this queue"),
    DeliveryState.UNROUTED: N_("Unrouted"),
}


@dataclass
class Filters:
    """The queue's filters as read from the query string: the rules' filter and order, and
    the values to show back in the form and to keep in links."""

    queue: QueueFilter = field(default_factory=QueueFilter)
    order: QueueOrder = QueueOrder.OLDEST_FIRST
    values: dict[str, Any] = field(default_factory=dict)
    size: int = PAGE_SIZE  # items a page (``taille``)

    def query(self, **extra: str) -> dict[str, str]:
        """The filters as query parameters (``status`` repeated), with ``extra``."""
        pairs: dict[str, Any] = {k: v for k, v in self.values.items() if v}
        pairs.update(extra)
        return pairs

    def link(self, page: Page, path: str, **extra: str) -> str:
        params = self.query(**extra)
        if page.request.query_params.get("lang"):
            params["lang"] = page.locale
        return f"{path}?{urlencode(params, doseq=True)}" if params else path


# name -> how a value of the query string narrows the filter (unknown values are ignored).
FilterReader = Callable[[Filters, list[str]], None]


def _statuses(f: Filters, given: list[str]) -> None:
    chosen = [s for s in Status if s.value in given]
    if chosen:
        f.queue = replace(f.queue, statuses=frozenset(chosen))
        f.values["status"] = [s.value for s in chosen]


def _kind(f: Filters, given: list[str]) -> None:
    kinds = {k.value for k in ItemKind}
    if given and given[0] in kinds:
        f.queue = replace(f.queue, kind=given[0])
        f.values["kind"] = given[0]


def _choice(name: str, attribute: str, known: Callable[[str], bool]) -> FilterReader:
    def read(f: Filters, given: list[str]) -> None:
        if given and given[0] and known(given[0]):
            changes: dict[str, Any] = {attribute: given[0]}
            f.queue = replace(f.queue, **changes)
            f.values[name] = given[0]

    return read


def _assigned(f: Filters, given: list[str]) -> None:
    found = next((a for a in Assignment if given and a.value == given[0]), Assignment.ANYONE)
    f.queue = replace(f.queue, assignment=found)
    f.values["assigned"] = found.value if found is not Assignment.ANYONE else ""


def _flag(name: str, attribute: str) -> FilterReader:
    def read(f: Filters, given: list[str]) -> None:
        if given and given[0] == "1":
            changes: dict[str, Any] = {attribute: True}
            f.queue = replace(f.queue, **changes)
            f.values[name] = "1"

    return read


def _order(f: Filters, given: list[str]) -> None:
    f.order = next((o for o in QueueOrder if given and o.value == given[0]), f.order)
    f.values["order"] = f.order.value if f.order is not QueueOrder.OLDEST_FIRST else ""


def _size(f: Filters, given: list[str]) -> None:
    if given and given[0].isdigit() and 1 <= int(given[0]) <= MAX_PAGE_SIZE:
        f.size = int(given[0])
        f.values["taille"] = given[0]


def filter_readers(web: Web) -> dict[str, FilterReader]:
    """The filters the queue understands, by query parameter."""

    def reference() -> ReferenceData:  # read at each request: it may be reloaded
        return web.services.reference

    return {
        "status": _statuses,
        "kind": _kind,
        "category": _choice("category", "category_code", lambda v: v in reference().categories),
        "commune": _choice("commune", "commune_code", lambda v: v in reference().communes),
        "assigned": _assigned,
        "delivery_failed": _flag("delivery_failed", "delivery_failed"),
        "unrouted": _flag("unrouted", "unrouted"),
        "overdue": _overdue(web),
        "order": _order,
        "taille": _size,
    }


def _overdue(web: Web) -> FilterReader:
    """Only the open items past their due date, now (``routing.due``, as triageQueue's)."""

    def read(f: Filters, given: list[str]) -> None:
        if given and given[0] == "1":
            f.queue = replace(f.queue, overdue_at=web.services.clock())
            f.values["overdue"] = "1"

    return read


# Filters added by other console pages: name -> reader (see ``filter_readers``).
EXTRA_FILTERS: dict[str, FilterReader] = {}


def read_filters(web: Web, params: Mapping[str, Any]) -> Filters:
    found = Filters()
    getlist = getattr(params, "getlist", None)
    for name, reader in {**filter_readers(web), **EXTRA_FILTERS}.items():
        values = getlist(name) if getlist else [v for v in [params.get(name)] if v is not None]
        reader(found, [str(v) for v in values])
    return found


@dataclass(frozen=True)
class Row:
    """One item of the queue as the table shows it."""

    item: Item
    href: str
    received: str
    subject: str
    commune: str
    status: str
    delivery: str
    assigned: str
    excerpt: str
    due: str  # the due date, "" without one
    overdue: bool


def rows_of(web: Web, staff: StaffPage, found: list[Item]) -> list[Row]:
    page, reference = staff.page, web.services.reference
    now = web.services.clock()
    rows = []
    for item in found:
        category = reference.categories.get(item.category_code or "")
        subject = page.gettext(category.label) if category else ""
        kind = page.gettext(KIND_LABELS[ItemKind(item.kind)])
        commune = reference.communes.get(item.commune_code)
        if item.assigned_to_id is None:
            assigned = page.gettext(N_("Nobody"))
        elif item.assigned_to_id == staff.identity.staff_id:
            assigned = page.gettext(N_("Me"))
        else:
            assigned = page.gettext(N_("A colleague"))
        text = item.description or ""
        rows.append(
            Row(
                item=item,
                href=page.url(f"/console/dossiers/{item.reference}"),
                received=page.datetime(as_utc(item.created_at)),
                subject=f"{kind} · {subject}" if subject else str(kind),
                commune=commune.name if commune else item.commune_code,
                status=page.gettext(STATUS_LABELS[Status(item.status)]),
                delivery=page.gettext(DELIVERY_LABELS[DeliveryState(item.delivery_state)]),
                assigned=str(assigned),
                excerpt=text if len(text) <= 140 else text[:139] + "…",
                due=page.datetime(as_utc(item.due_at)) if item.due_at else "",
                overdue=is_overdue(item.due_at, Status(item.status), now),
            )
        )
    return rows


def form_options(web: Web, page: Page) -> dict[str, Any]:
    """The filter form's choices, in the reader's language (made once per language and
    reference snapshot: they change only with the reference data)."""

    def build() -> dict[str, Any]:
        reference = web.services.reference
        return {
            "status_options": [(s.value, page.gettext(STATUS_LABELS[s])) for s in Status],
            "kind_options": [(k.value, page.gettext(KIND_LABELS[k])) for k in ItemKind],
            "category_options": [
                (c.code, page.gettext(c.label)) for c in reference.categories_in_order()
            ],
            "commune_options": [(c.code, c.name) for c in reference.communes_by_name()],
            "assigned_options": [(a.value, page.gettext(ASSIGNMENT_LABELS[a])) for a in Assignment],
            "order_options": [(o.value, page.gettext(ORDER_LABELS[o])) for o in QueueOrder],
            "body_options": [(b.code, b.name) for b in reference.bodies_in_order()],
        }

    return web.derived.get(("console-options", page.locale), build)


class StatusCounts:
    """The queue's counts by status, kept ``COUNTS_SECONDS`` per (bodies, filter): counting a
    body's items is most of a queue page's cost at 100,000 items, while the page's rows are
    read fresh every time. Any console action of this process forgets them at once; another
    process's actions show within ``COUNTS_SECONDS``."""

    def __init__(self, seconds: float = COUNTS_SECONDS, entries: int = 1024) -> None:
        self.seconds, self.entries = seconds, entries
        self._kept: dict[Hashable, tuple[float, dict[Status, int]]] = {}

    def get(self, key: Hashable) -> dict[Status, int] | None:
        found = self._kept.get(key)
        if found is None or time.monotonic() - found[0] > self.seconds:
            return None
        return found[1]

    def put(self, key: Hashable, counts: dict[Status, int]) -> None:
        if len(self._kept) >= self.entries:
            self._kept.clear()
        self._kept[key] = (time.monotonic(), counts)

    def clear(self) -> None:
        self._kept.clear()


STATUS_COUNTS = StatusCounts()


async def _read_queue(
    web: Web,
    staff: StaffPage,
    filters: Filters,
    *,
    first: int,
    after: tuple[int, int] | None,
    counted: bool = True,
) -> tuple[list[Item], bool, int, dict[Status, int]]:
    identity = require_item_work(staff.identity, "items:read")
    bodies = covered_bodies(identity, web.services.reference)
    mine = identity.staff_id if filters.queue.assignment is Assignment.ME else None
    # « Overdue » is kept as a flag: its moment is each request's now, the counts a few
    # seconds old are as good (and the key must not change at every request).
    overdue = filters.queue.overdue_at is not None
    key = (bodies, replace(filters.queue, statuses=None, overdue_at=None), mine, overdue)
    async with web.services.db.reading() as session:
        rows, has_next = await triage.queue_rows(
            session, identity, bodies, filters.queue, filters.order, first=first, after=after
        )
        counts = STATUS_COUNTS.get(key) if counted else {}
        if counts is None:
            counts = await triage.queue_counts(session, identity, bodies, filters.queue)
            STATUS_COUNTS.put(key, counts)
    return rows, has_next, triage.queue_total(filters.queue, counts), counts


def queue_page(web: Web) -> Endpoint:
    async def endpoint(staff: StaffPage) -> Response:
        request, page = staff.request, staff.page
        filters = read_filters(web, request.query_params)
        try:
            after = triage.queue_after(request.query_params.get("apres"), filters.order)
            found, has_next, total, counts = await _read_queue(
                web, staff, filters, first=filters.size, after=after
            )
        except DomainError as error:
            if error.code.value == "INVALID_CURSOR":
                message = page.gettext(error.message)
                return render(web, staff, "console/refused.html", status=400, message=message)
            return refused(web, staff, error)
        next_link = None
        if has_next and found:
            last = found[-1]
            cursor = triage.queue_cursor(last, filters.order)
            next_link = filters.link(page, "/console", apres=cursor)
        newest = max((i.id or 0 for i in found), default=0)
        return render(
            web,
            staff,
            "console/queue.html",
            nav="queue",
            filters=filters,
            values=filters.values,
            rows=rows_of(web, staff, found),
            total=total,
            counts=[
                (status, page.gettext(STATUS_LABELS[status]), counts.get(status, 0))
                for status in Status
                if counts.get(status)
            ],
            status_link=lambda s: filters.link(page, "/console", status=s.value),
            next_link=next_link,
            first_link=filters.link(page, "/console") if after else None,
            map_link=filters.link(page, "/console/carte"),
            export_link=filters.link(page, "/console/export.csv"),
            spreadsheet_link=filters.link(page, "/console/export.csv", format="tableur"),
            done=_done(page),
            live_url=filters.link(page, "/console/nouveaux"),
            newest=newest,
            **form_options(web, page),
        )

    return require_staff(web, endpoint)


REROUTED_AWAY = N_("%(reference)s was re-routed to another body: it left your queue.")


def _done(page: Page) -> str | None:
    """What was just done, when the action led back here (an item handed to another body)."""
    query = page.request.query_params
    reference = query.get("reference", "")
    if query.get("fait") == "reacheminement" and reference:
        return str(page.gettext(REROUTED_AWAY, reference=reference))
    return None


def live_rows(web: Web) -> Endpoint:
    """The rows of the items received since ``depuis`` (an item id), newest first, as an
    HTML fragment the queue's script puts on top of its table."""

    async def endpoint(staff: StaffPage) -> Response:
        request = staff.request
        filters = read_filters(web, request.query_params)
        since = request.query_params.get("depuis", "")
        since_id = int(since) if since.isdigit() and len(since) < 12 else 0
        filters.queue = replace(filters.queue, newer_than_id=since_id)
        filters.order = QueueOrder.NEWEST_FIRST
        try:
            found, _, _, _ = await _read_queue(
                web, staff, filters, first=LIVE_ROWS, after=None, counted=False
            )
        except DomainError as error:
            return refused(web, staff, error)
        return render(
            web, staff, "console/queue_rows.html", rows=rows_of(web, staff, found), fragment=True
        )

    return require_staff(web, endpoint)


def map_page(web: Web) -> Endpoint:
    """The filtered queue on a map (its points from ``map_points``), and its first page as
    a table: the map adds to the list, it never replaces it."""

    async def endpoint(staff: StaffPage) -> Response:
        page = staff.page
        filters = read_filters(web, staff.request.query_params)
        try:
            found, has_more, total, _ = await _read_queue(
                web, staff, filters, first=PAGE_SIZE, after=None
            )
        except DomainError as error:
            return refused(web, staff, error)
        return render(
            web,
            staff,
            "console/map.html",
            nav="map",
            filters=filters,
            values=filters.values,
            rows=rows_of(web, staff, found),
            total=total,
            has_more=has_more,
            points_url=filters.link(page, "/console/carte.json"),
            list_link=filters.link(page, "/console"),
            limit=MAP_POINTS,
            **form_options(web, page),
        )

    return require_staff(web, endpoint)


def map_points(web: Web) -> Endpoint:
    """The located items of the filtered queue (at most ``MAP_POINTS``), as JSON."""

    async def endpoint(staff: StaffPage) -> Response:
        filters = read_filters(web, staff.request.query_params)
        try:
            found, _, _, _ = await _read_queue(
                web, staff, filters, first=MAP_POINTS, after=None, counted=False
            )
        except DomainError as error:
            return refused(web, staff, error)
        points = [
            {
                "reference": row.item.reference,
                "latitude": row.item.latitude,
                "longitude": row.item.longitude,
                "href": row.href,
                "label": f"{row.item.reference} – {row.subject} – {row.status}",
            }
            for row in rows_of(web, staff, found)
            if row.item.latitude is not None and row.item.longitude is not None
        ]
        headers = web.headers(staff.page, private=True)
        return JSONResponse(points, headers=headers)

    return require_staff(web, endpoint)


def open_by_reference(web: Web) -> Endpoint:
    """``/console/dossiers?reference=…``: the item's page (checked there, as any link)."""

    async def endpoint(staff: StaffPage) -> Response:
        reference = staff.request.query_params.get("reference", "").strip().upper()
        if not reference:
            return web.redirect(staff.page, staff.page.url("/console"), private=True)
        target = staff.page.url(f"/console/dossiers/{reference}")
        return web.redirect(staff.page, target, private=True)

    return require_staff(web, endpoint)
