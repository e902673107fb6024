"""One-click unsubscribe from the e-mail messages (``/courriel/desinscription?jeton=…``).

RFC 8058: the mail client POSTs ``List-Unsubscribe=One-Click`` to the URL of the message's
``List-Unsubscribe`` header, without cookie or page: the signed token in the URL is the whole
authority (it names one item and one consent purpose), so there is no CSRF token to check, and
an attacker who could forge the request would need the token, which unsubscribes anyway. A GET
(a person clicking the link, or a mail scanner following it) changes nothing: it shows a
button that POSTs.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

from starlette.requests import Request
from starlette.responses import Response

from service.mail import subscription_messages, subscriptions
from service.privacy import rules as privacy
from service.web.forms import read_form
from service.web.rendering import Endpoint, Web

TOKEN = "jeton"
PATH = "/courriel/desinscription"
CONFIRM_PATH = "/courriel/abonnement"
DATA_PATH = "/courriel/mes-donnees"


def unsubscribe_page(web: Web) -> Endpoint:
    async def endpoint(request: Request) -> Response:
        page = web.page(request)
        token = request.query_params.get(TOKEN, "")
        mailer = web.services.mailer
        async with web.services.db.reading() as session:
            valid = (
                await mailer.unsubscribe.open(session, token) is not None
                or await mailer.subscriptions.open(session, token, "stop") is not None
                or await mailer.digests.open(session, token) is not None
            )
        if not valid:
            return _invalid(web, request)
        return web.render(page, "unsubscribe.html", private=True, token=token, done=False)

    return endpoint


def unsubscribe_post(web: Web) -> Endpoint:
    async def endpoint(request: Request) -> Response:
        # The token is in the URL (the header's), or posted by the page's button.
        form = await read_form(request)
        token = request.query_params.get(TOKEN) or (form.get(TOKEN) if form else "")
        services = web.services
        async with services.db.writing() as session:
            found = await services.mailer.unsubscribe.open(session, token)
            subscription = await services.mailer.subscriptions.open(session, token, "stop")
            agent = await services.mailer.digests.open(session, token)
            if agent is not None:
                # An agent's daily digest: the opt-in is turned off (the account stays).
                agent.mail_digest = False
                session.add(agent)
            if found is not None:
                item, purpose = found
                assert item.id is not None
                # Effective at once: queued messages are checked again before sending.
                await privacy.withdraw_consents(session, item.id, [purpose], services.clock())
            elif subscription is not None:
                # The address, the subscription and its queued messages go at once.
                await subscriptions.unsubscribe(session, subscription)
        if found is None and subscription is None and agent is None:
            return _invalid(web, request)
        page = web.page(request)
        return web.render(page, "unsubscribe.html", private=True, token=token, done=True)

    return endpoint


def confirm_page(web: Web) -> Endpoint:
    """The confirmation link of a subscription (double opt-in): a GET shows a button (a mail
    scanner following links confirms nothing), its POST confirms."""

    async def endpoint(request: Request) -> Response:
        page = web.page(request)
        token = request.query_params.get(TOKEN, "")
        async with web.services.db.reading() as session:
            found = await web.services.mailer.subscriptions.open(session, token, "confirm")
        if found is None:
            return _invalid(web, request)
        return web.render(page, "subscription_confirm.html", private=True, token=token, done=False)

    return endpoint


def confirm_post(web: Web) -> Endpoint:
    async def endpoint(request: Request) -> Response:
        form = await read_form(request)
        token = request.query_params.get(TOKEN) or (form.get(TOKEN) if form else "")
        services = web.services
        async with services.db.writing() as session:
            found = await services.mailer.subscriptions.open(session, token, "confirm")
            if found is not None:
                await subscriptions.confirm(session, found, services.clock())
        if found is None:
            return _invalid(web, request)
        page = web.page(request)
        return web.render(page, "subscription_confirm.html", private=True, token=token, done=True)

    return endpoint


def data_page(web: Web) -> Endpoint:
    """What is stored about a subscription, opened by its own signed link (in every message
    it receives): the address, the area, the language and the dates, on a page or as a JSON
    file (``?format=json``); the page's button erases it all (the unsubscribe POST). The token
    names the subscription only, never the address."""

    async def endpoint(request: Request) -> Response:
        page = web.page(request)
        token = request.query_params.get(TOKEN, "")
        tokens = web.services.mailer.subscriptions
        async with web.services.db.reading() as session:
            found = await tokens.open(session, token, "data")
            if found is None:
                return _invalid(web, request)
            area = await subscription_messages.area_of(session, found, page.translator)
        translator = page.translator
        confirmed = found.confirmed_at
        if request.query_params.get("format") == "json":
            document = {
                "email": subscriptions.open_email(found, web.services.contact_cipher),
                "area": area,
                "communeCode": found.commune_code,
                "categoryCode": found.category_code,
                "latitude": found.latitude,
                "longitude": found.longitude,
                "radiusMeters": found.radius_meters,
                "language": found.language,
                "createdAt": _utc(found.created_at).isoformat(),
                "confirmedAt": _utc(confirmed).isoformat() if confirmed else None,
            }
            body = json.dumps(document, ensure_ascii=False, indent=2).encode("utf-8")
            headers = web.headers(page, private=True)
            headers["Content-Disposition"] = 'attachment; filename="subscription.json"'
            return Response(body, media_type="application/json; charset=utf-8", headers=headers)
        return web.render(
            page,
            "subscription_data.html",
            private=True,
            token=token,
            stop_token=tokens.issue(found, "stop"),
            email=subscriptions.open_email(found, web.services.contact_cipher),
            area=area,
            language=found.language,
            created=translator.datetime(_utc(found.created_at)),
            confirmed=translator.datetime(_utc(confirmed)) if confirmed else None,
        )

    return endpoint


def _utc(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _invalid(web: Web, request: Request) -> Response:
    page = web.page(request)
    message = page.gettext("This link is not valid. Check that it was copied whole.")
    return web.render(page, "refused.html", status=404, private=True, message=message)
