"""The resident's rights with their tracking token: a copy of what is held, and erasure.

Both are logged (kind, item, counts; never the data).
"""

from __future__ import annotations

import json
import logging
from datetime import datetime
from typing import Any

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from service.errors import N_
from service.i18n.translator import Translator
from service.items.models import Item, ItemEvent
from service.items.rules import as_utc
from service.photos.models import Photo
from service.photos.retention import delete_item_photos, remove_files
from service.photos.storage import PhotoStore
from service.privacy import consent_texts
from service.privacy import rules as privacy
from service.privacy.crypto import FieldCipher
from service.privacy.declarations import registry
from service.privacy.models import Consent, ConsentPurpose, ContactAccess, PrivacyAction
from service.privacy.retention import RetentionPeriods, redact_free_text
from service.service_requests.models import ServiceRequestDetail

logger = logging.getLogger(__name__)
EXPORT_FORMAT = "alm-feedback-my-data/1"
PURPOSE_TITLES = {code: purpose.title for code, purpose in registry().purposes.items()}


def _when(moment: datetime | None) -> str | None:
    return as_utc(moment).isoformat() if moment else None


def _consent_text(version: str, purpose: str, language: str) -> str | None:
    """The text of a consent's version; None for one recorded before texts were published."""
    found = consent_texts.published().get(version)
    return found.text(ConsentPurpose(purpose), language) if found else None


def _actor(actor: str) -> str:
    """Who wrote a history line, without naming staff members (their identity is theirs)."""
    return actor.split(":", 1)[0]


async def export_my_data(
    session: AsyncSession,
    item: Item,
    cipher: FieldCipher,
    periods: RetentionPeriods,
    now: datetime,
) -> dict[str, Any]:
    """Everything held about the token's item and its contact, as a JSON-ready document."""
    assert item.id is not None
    events = (
        await session.exec(
            select(ItemEvent).where(ItemEvent.item_id == item.id).order_by(col(ItemEvent.id))
        )
    ).all()
    consents = (
        await session.exec(
            select(Consent).where(Consent.item_id == item.id).order_by(col(Consent.id))
        )
    ).all()
    reads = (
        await session.exec(
            select(ContactAccess.at)
            .where(ContactAccess.item_id == item.id)
            .order_by(col(ContactAccess.at))
        )
    ).all()
    row = await privacy.contact_of(session, item.id)
    contact = privacy.open_contact(row, cipher) if row else None
    detail = await session.get(ServiceRequestDetail, item.id)
    photos = (
        await session.exec(
            select(Photo).where(Photo.item_id == item.id).order_by(col(Photo.position))
        )
    ).all()
    document: dict[str, Any] = {
        "format": EXPORT_FORMAT,
        "exportedAt": now.isoformat(),
        "item": {
            "reference": item.reference,
            "kind": item.kind,
            "status": item.status,
            "category": item.category_code,
            "commune": item.commune_code,
            "handlingBody": item.body_code,
            "channel": item.channel,
            "language": item.language,
            "latitude": item.latitude,
            "longitude": item.longitude,
            "addressText": item.address_text,
            "description": item.description,
            "feedbackFixed": item.feedback_fixed,
            "feedbackRating": item.feedback_rating,
            "supportCount": item.support_count,
            "createdAt": _when(item.created_at),
            "resolvedAt": _when(item.resolved_at),
            "closedAt": _when(item.closed_at),
            "service": detail.service_code if detail else None,
            "answers": json.loads(detail.answers) if detail else None,
            "atHomeAddress": detail.at_home if detail else None,
        },
        "history": [
            {
                "at": _when(event.created_at),
                "kind": event.kind,
                "audience": event.audience,
                "by": _actor(event.actor),
                "fromStatus": event.from_status,
                "toStatus": event.to_status,
                "text": event.text,
            }
            for event in events
        ],
        "contact": None
        if contact is None or row is None
        else {
            "name": contact.name,
            "email": contact.email,
            "phone": contact.phone,
            "createdAt": _when(row.created_at),
        },
        "consents": [
            {
                "purpose": consent.purpose,
                "textVersion": consent.text_version,
                # The text they consented to, in the language of their item.
                "text": _consent_text(consent.text_version, consent.purpose, item.language),
                "channel": consent.channel,
                "givenAt": _when(consent.given_at),
                "withdrawnAt": _when(consent.withdrawn_at),
            }
            for consent in consents
        ],
        "contactReadsByStaff": [_when(at) for at in reads],
        # The files themselves: the item's public page (approved ones), or ask the body.
        "photos": [
            {
                "id": photo.id,
                "status": photo.status,
                "width": photo.width,
                "height": photo.height,
                "receivedAt": _when(photo.created_at),
                "hiddenReason": photo.hidden_reason,
            }
            for photo in photos
        ],
        "retentionDays": {
            "contactAfterItemFinished": periods.contact_days,
            "freeTextAfterItemFinished": periods.free_text_days,
        },
    }
    privacy.log(
        session,
        PrivacyAction.EXPORT,
        actor="resident",
        now=now,
        item_id=item.id,
        counts={"contacts": int(contact is not None), "history": len(events)},
    )
    logger.info("personal data export of %s", item.reference)
    return document


def export_summary(document: dict[str, Any], translator: Translator) -> str:
    """The export in a few sentences, in the resident's language."""
    item = document["item"]
    history = len(document["history"])
    lines = [
        translator.gettext(
            N_("Your item %(reference)s, created on %(date)s."),
            reference=item["reference"],
            date=translator.datetime(datetime.fromisoformat(item["createdAt"])),
        ),
        translator.ngettext(
            "We hold its description, its place and %(count)s line of history.",
            "We hold its description, its place and %(count)s lines of history.",
            history,
        ),
    ]
    contact = document["contact"]
    if contact is None:
        lines.append(translator.gettext(N_("We hold no contact details for it.")))
    else:
        held = ", ".join(v for v in (contact["name"], contact["email"], contact["phone"]) if v)
        lines.append(translator.gettext(N_("Your contact details: %(details)s."), details=held))
        reads = len(document["contactReadsByStaff"])
        lines.append(
            translator.ngettext(
                "Staff of the handling body read them %(count)s time.",
                "Staff of the handling body read them %(count)s times.",
                reads,
            )
        )
    active = sorted(c["purpose"] for c in document["consents"] if c["withdrawnAt"] is None)
    lines.append(
        translator.gettext(
            N_("Consents in force: %(purposes)s."),
            purposes=", ".join(translator.gettext(PURPOSE_TITLES[p]) for p in active)
            if active
            else "-",
        )
    )
    lines.append(
        translator.gettext(
            N_("Contact details are deleted %(days)s days after the item is finished."),
            days=translator.number(document["retentionDays"]["contactAfterItemFinished"]),
        )
    )
    return "\n".join(lines)


async def erase_my_data(
    session: AsyncSession, item: Item, now: datetime, photos: PhotoStore | None = None
) -> dict[str, int]:
    """Delete the contact, withdraw every consent, redact the free text, delete the photos
    (rows, and files from ``photos``); the anonymous item stays (status, place, category,
    dates) for the handling body and statistics.

    The files go before the transaction commits: should the commit fail, the resident's
    photos are gone rather than kept (the rows left then point at nothing, and a retry of the
    erasure deletes them)."""
    assert item.id is not None
    _, contact_deleted = await privacy.withdraw_consents(session, item.id, None, now)
    photo_ids = await delete_item_photos(session, [item.id])
    if photos is not None:
        remove_files(photos, photo_ids)
    texts = await redact_free_text(session, item, now)
    counts = {"contacts": int(contact_deleted), "texts": texts, "photos": len(photo_ids)}
    privacy.log(
        session, PrivacyAction.ERASE, actor="resident", now=now, item_id=item.id, counts=counts
    )
    logger.info("personal data erasure of %s: %s", item.reference, counts)
    return counts
