"""The follow page's batched Core read gives what the ORM reads of the rules give: the
resident's history (public and resident lines, no staff note), the attached photos in their
order, the consents in force — and nothing for a token that does not open the item."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest

from service.context import Services
from service.errors import DomainError
from service.items import rules as items
from service.items.models import EventKind
from service.photos.models import Photo, PhotoStatus
from service.photos.rules import photos_of
from service.photos.types import ATTACHED
from service.privacy import rules as privacy
from service.privacy.models import ConsentPurpose
from service.web.follow_reads import RESIDENT_AUDIENCES, read_followed
from tests.web.journeys import send_report, token_in

pytestmark = pytest.mark.anyio
CONTACT = {
    "contact_email": "jo@example.org",
    "consent_follow_up": "1",
    "consent_share": "1",
    "consent_survey": "1",
}


async def test_the_batched_read_gives_what_the_rules_reads_give(
    client: httpx.AsyncClient, services: Services
) -> None:
    # given: an item with lines for every audience, photos in every state, a consent withdrawn
    sent = await send_report(client, **CONTACT)
    token = token_in(sent.headers["location"])
    now = services.clock()
    async with services.db.writing() as session:
        item = await services.tracking_tokens.item_for(session, token, now)
        assert item.id is not None
        for audience, kind, text in (
            (items.Audience.STAFF, EventKind.PRIVATE_NOTE, "Note interne"),
            (items.Audience.PUBLIC, EventKind.PUBLIC_ANSWER, "Réponse publique"),
            (items.Audience.RESIDENT, EventKind.INFORMATION_ADDED, "Précision"),
        ):
            items.add_event(
                session, item, kind, audience, actor="staff:1", now=now, text=text, language="fr"
            )
        for position, status in enumerate(
            [PhotoStatus.APPROVED, PhotoStatus.UPLOADED, PhotoStatus.HIDDEN, PhotoStatus.PENDING]
        ):
            session.add(
                Photo(
                    id=f"{item.id:08d}follow{position:02d}",
                    item_id=item.id,
                    position=3 - position,
                    status=status.value,
                    upload_scope="test",
                    upload_key=f"follow-read-{item.id}-{position}",
                    source_sha256="0" * 64,
                    width=10,
                    height=10,
                    version=position + 1,
                    hidden_reason="Un visage" if status is PhotoStatus.HIDDEN else None,
                    created_at=now,
                )
            )
        await privacy.withdraw_consents(
            session, item.id, [ConsentPurpose.SATISFACTION_SURVEY], now + timedelta(seconds=1)
        )
    # when
    async with services.db.reading() as session:
        rows = await read_followed(session, services.tracking_tokens, token, services.clock())
        loaded = await services.tracking_tokens.item_for(session, token, services.clock())
        events = (await items.histories(session, [item.id], RESIDENT_AUDIENCES))[item.id]
        photos = (await photos_of(session, [item.id], ATTACHED))[item.id]
        consents = await privacy.active_consents(session, item.id)
    # then
    assert rows.item.model_dump() == loaded.model_dump()
    as_lines = [(e.kind, e.to_status, e.text, e.language, e.created_at) for e in events]
    assert [(e.kind, e.to_status, e.text, e.language, e.created_at) for e in rows.events] == (
        as_lines
    )
    assert "Note interne" not in [e.text for e in rows.events]
    assert [(p.id, p.status, p.version, p.hidden_reason) for p in rows.photos] == [
        (p.id, p.status, p.version, p.hidden_reason) for p in photos
    ]
    assert len(rows.photos) == 3  # the one only uploaded is not attached
    assert (
        rows.consents
        == consents
        == {
            ConsentPurpose.FOLLOW_UP_CONTACT,
            ConsentPurpose.SHARE_WITH_OPERATOR,
        }
    )


async def test_a_forged_token_reads_nothing(services: Services) -> None:
    # when / then
    async with services.db.reading() as session:
        with pytest.raises(DomainError) as refused:
            await read_followed(session, services.tracking_tokens, "forged", services.clock())
    assert refused.value.field == "token"
