"""The e-mail a body whose route is e-mail receives: the item as a webhook delivery carries it
(the contact only with the resident's consent to share it), readable, with the same JSON
attached. One way: the message says that replies are not read."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from email.message import Message
from typing import Any

from service.errors import N_
from service.mail.render import Renderer

SUBJECT = N_("[%(reference)s] %(event)s: an item for your body")
EVENTS = {
    "item.created": N_("new item"),
    "item.status_changed": N_("status changed"),
    "item.answered": N_("public answer"),
    "item.rerouted": N_("re-routed to you"),
    "item.information_added": N_("information added"),
}
OTHER_EVENT = N_("change")


def body_message(
    renderer: Renderer,
    *,
    to: str,
    uid: str,
    body: dict[str, Any],
    category: str | None,
    status: str,
    now: datetime,
) -> Message:
    """The message of one delivery; ``body`` is the webhook's JSON, ``status`` and
    ``category`` already translated (the bodies read the service's default language)."""
    language = renderer.settings.default_locale
    translator = renderer.translator(language)
    item = body["item"]
    event = translator.gettext(EVENTS.get(body["event"], OTHER_EVENT))
    contact = body.get("contact")
    created = datetime.fromisoformat(item["createdAt"]).astimezone(UTC)
    rendered = renderer.render(
        "body",
        language,
        SUBJECT,
        reference=item["reference"],
        event=event,
        status=status,
        category=category,
        commune=item["commune"],
        address=item.get("addressText"),
        latitude=item.get("latitude"),
        longitude=item.get("longitude"),
        submitted=translator.datetime(created),
        description=item.get("description") or "",
        contact=contact,
    )
    attachment = json.dumps(body, ensure_ascii=False, indent=2).encode()
    return renderer.message(
        rendered,
        uid=uid,
        to=to,
        language=language,
        now=now,
        attachment=("item.json", attachment),
    )
