"""What a subscription receives: its confirmation link (double opt-in), then daily digests of
the new reports of its area, each with a one-click unsubscribe. The address is read from the
subscription when sending: an unsubscription (which deletes the row) stops queued messages."""

from __future__ import annotations

from datetime import UTC, datetime
from email.message import Message
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from service.errors import N_
from service.i18n.translator import Translator
from service.items.lifecycle import STATUS_LABELS, Status
from service.items.models import Item
from service.mail import subscriptions
from service.mail.models import MailKind, MailMessage, MailSubscription
from service.mail.render import Renderer
from service.moderation import rules as moderation
from service.privacy.crypto import FieldCipher
from service.routing.models import Category
from service.territory.models import Commune

SUBJECTS = {
    MailKind.CONFIRM: N_("Confirm your alerts of new reports"),
    MailKind.DIGEST: N_("New reports in your area"),
}
REPORT_NEWS = N_("News of report %(reference)s")


async def area_of(
    session: AsyncSession, subscription: MailSubscription, translator: Translator
) -> str:
    """« Angers, Nid-de-poule, within 300 m of a point » in the reader's language."""
    parts = []
    if subscription.item_id is not None:
        item = await session.get(Item, subscription.item_id)
        return translator.gettext(
            N_("report %(reference)s"), reference=item.reference if item else ""
        )
    if subscription.commune_code:
        commune = await session.get(Commune, subscription.commune_code)
        parts.append(commune.name if commune else subscription.commune_code)
    if subscription.category_code:
        category = await session.get(Category, subscription.category_code)
        parts.append(translator.gettext(category.label) if category else "")
    if subscription.radius_meters:
        parts.append(
            translator.gettext(
                N_("within %(radius)s m of a point"),
                radius=translator.number(subscription.radius_meters),
            )
        )
    return ", ".join(part for part in parts if part)


async def subscription_message(
    session: AsyncSession,
    renderer: Renderer,
    tokens: subscriptions.SubscriptionTokens,
    cipher: FieldCipher,
    message: MailMessage,
    subscription: MailSubscription,
    now: datetime,
) -> Message | None:
    """The message, or None when there is nothing (left) to say."""
    kind = MailKind(message.kind)
    translator = renderer.translator(subscription.language)
    values: dict[str, Any] = {
        "kind": kind.value,
        "area": await area_of(session, subscription, translator),
        "unsubscribe_url": renderer.link(
            "/courriel/desinscription?jeton=" + tokens.issue(subscription, "stop")
        ),
        "data_url": renderer.link(
            "/courriel/mes-donnees?jeton=" + tokens.issue(subscription, "data")
        ),
        "confirm_url": renderer.link(
            "/courriel/abonnement?jeton=" + tokens.issue(subscription, "confirm")
        ),
        "reports": [],
    }
    subject = SUBJECTS[kind]
    if kind is MailKind.DIGEST and subscription.item_id is not None:
        item = await session.get(Item, subscription.item_id)
        events = await subscriptions.report_news(
            session, subscription, message.after_item_id or 0, message.up_to_item_id
        )
        if item is None or not events:
            return None
        values["reference"] = item.reference
        values["news"] = [
            {
                "when": translator.datetime(_utc(event.created_at)),
                "status": translator.gettext(STATUS_LABELS[Status(event.to_status)])
                if event.to_status
                else "",
                "text": event.text or "",
            }
            for event in events
        ]
        subject = REPORT_NEWS
    elif kind is MailKind.DIGEST:
        items = await subscriptions.new_reports(
            session, subscription, message.after_item_id or 0, message.up_to_item_id
        )
        if not items:
            return None
        values["reports"] = [await public_listing(session, item, translator) for item in items]
        values["count"] = translator.number(len(items))
    values.setdefault("news", [])
    values.setdefault("reference", "")
    rendered = renderer.render("subscription", subscription.language, subject, **values)
    return renderer.message(
        rendered,
        uid=message.message_uid,
        to=subscriptions.open_email(subscription, cipher),
        language=subscription.language,
        now=now,
        unsubscribe=str(values["unsubscribe_url"]),
    )


def _utc(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _public_description(item: Item, translator: Translator) -> str:
    found = moderation.public_text(item)
    return found if found is not None else translator.gettext(moderation.withheld_notice(item))


async def public_listing(
    session: AsyncSession, item: Item, translator: Translator
) -> dict[str, str]:
    """A report as the public sees it: the masked description, never a contact."""
    category = await session.get(Category, item.category_code) if item.category_code else None
    commune = await session.get(Commune, item.commune_code) if item.commune_code else None
    return {
        "reference": item.reference,
        "category": translator.gettext(category.label) if category else "",
        "commune": commune.name if commune else "",
        # What the public reads: nothing of a text moderation withholds (nor a rejected one's).
        "description": _public_description(item, translator),
    }
