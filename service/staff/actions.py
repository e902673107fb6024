"""The staff actions on one item, whole: who may act (role, token scope, the item in their
bodies), what they give (texts, answer templates), then the triage rule, each in its own
write transaction (the doors open none).

The GraphQL mutations (``triage_schema``) and the console's forms (``service.web.console``)
both call these functions and nothing under them: one permission check, one validation, one
message, whichever door an agent comes through.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from service.db import Database
from service.errors import DomainError, ValidationFailed
from service.items import rules as items
from service.items.lifecycle import Status
from service.items.models import Item
from service.privacy.crypto import FieldCipher
from service.privacy.models import ConsentPurpose
from service.privacy.rules import ContactDetails, active_consents, contact_of, read_contact
from service.reference import ReferenceData
from service.staff import templates, triage
from service.staff.models import Role, StaffUser
from service.staff.permissions import covered_bodies, require_item_work
from service.staff.rules import StaffIdentity

READ, WRITE = "items:read", "items:write"


@dataclass(frozen=True)
class Answer:
    """A public text as staff give it: typed (in a language), or an answer template's code
    (then in the resident's language when the body wrote that translation)."""

    typed: str | None = None
    template_code: str | None = None
    language: str | None = None
    field: str = "publicAnswer"

    def errors(self) -> list[DomainError]:
        errors = triage.answer_language_errors(self.language)
        if self.template_code and (self.typed or "").strip():
            errors.append(triage.answer_twice(self.field))
        return errors + items.text_errors(self.typed, field=self.field, maximum=triage.MAX_TEXT)

    async def resolve(
        self, session: AsyncSession, identity: StaffIdentity, item: Item
    ) -> tuple[str | None, str]:
        if not self.template_code:
            return self.typed, self.language or triage.DEFAULT_ANSWER_LANGUAGE
        return await templates.answer_from_template(
            session,
            self.template_code,
            bodies=[item.body_code, identity.body_code],
            language=item.language,
            reference=item.reference,
        )


@dataclass(frozen=True)
class Opened:
    """An item opened for work: by whom, with which bodies in their scope."""

    identity: StaffIdentity
    bodies: frozenset[str]
    item: Item


async def open_item(
    session: AsyncSession,
    caller: StaffIdentity | None,
    reference: str,
    data: ReferenceData,
    scope: str = READ,
) -> Opened:
    """The item ``reference`` for ``caller``: NOT_AUTHENTICATED, FORBIDDEN (role or token
    scope), or NOT_FOUND when it is outside their bodies (its existence is not theirs)."""
    identity = require_item_work(caller, scope)
    bodies = covered_bodies(identity, data)
    item = await triage.item_in_scope(session, reference, bodies)
    return Opened(identity, bodies, item)


def _check(errors: list[DomainError]) -> None:
    if errors:
        raise ValidationFailed(errors)


async def acknowledge(
    db: Database,
    caller: StaffIdentity | None,
    reference: str,
    data: ReferenceData,
    now: datetime,
) -> Item:
    async with db.writing() as session:
        opened = await open_item(session, caller, reference, data, WRITE)
        triage.transition(session, opened.identity, opened.item, Status.ACKNOWLEDGED, now)
        return opened.item


async def transition(
    db: Database,
    caller: StaffIdentity | None,
    reference: str,
    data: ReferenceData,
    now: datetime,
    *,
    status: Status,
    answer: Answer,
    private_note: str | None,
) -> Item:
    """Move the item, with a public answer (typed or from a template) and/or a private note."""
    async with db.writing() as session:
        identity, item, text, language = await _answering(
            session, caller, reference, data, answer, private_note
        )
        triage.transition(
            session,
            identity,
            item,
            status,
            now,
            public_answer=text,
            private_note=private_note,
            answer_language=language,
        )
        return item


async def annotate(
    db: Database,
    caller: StaffIdentity | None,
    reference: str,
    data: ReferenceData,
    now: datetime,
    *,
    answer: Answer,
    private_note: str | None,
) -> Item:
    """A public answer and/or a private note, the status unchanged."""
    async with db.writing() as session:
        identity, item, text, language = await _answering(
            session, caller, reference, data, answer, private_note
        )
        triage.annotate(
            session,
            identity,
            item,
            now,
            public_answer=text,
            private_note=private_note,
            answer_language=language,
        )
        return item


async def _answering(
    session: AsyncSession,
    caller: StaffIdentity | None,
    reference: str,
    data: ReferenceData,
    answer: Answer,
    private_note: str | None,
) -> tuple[StaffIdentity, Item, str | None, str]:
    """What an answer or a note starts with: who acts, the checked texts, the item opened
    for writing, and the public answer resolved (typed, or a template in the item's language)."""
    identity = require_item_work(caller, WRITE)
    _check(answer.errors() + _note_errors(private_note))
    opened = await open_item(session, identity, reference, data, WRITE)
    text, language = await answer.resolve(session, identity, opened.item)
    return identity, opened.item, text, language


async def reject(
    db: Database,
    caller: StaffIdentity | None,
    reference: str,
    data: ReferenceData,
    now: datetime,
    *,
    reason: Answer,
) -> Item:
    """Reject with a reason the resident reads (typed, or from a template)."""
    async with db.writing() as session:
        identity = require_item_work(caller, WRITE)
        errors = [] if reason.template_code else triage.reason_errors(reason.typed or "")
        _check(errors or reason.errors())
        opened = await open_item(session, identity, reference, data, WRITE)
        text, language = await reason.resolve(session, identity, opened.item)
        triage.transition(
            session,
            identity,
            opened.item,
            Status.REJECTED,
            now,
            public_answer=text,
            answer_language=language,
        )
        return opened.item


async def assign(
    db: Database,
    caller: StaffIdentity | None,
    reference: str,
    data: ReferenceData,
    now: datetime,
    *,
    assignee_id: int | None,
) -> Item:
    """Agents take an item for themselves; supervisors and admins assign anyone of theirs."""
    async with db.writing() as session:
        opened = await open_item(session, caller, reference, data, WRITE)
        await triage.assign(session, opened.identity, opened.item, assignee_id, opened.bodies, now)
        return opened.item


async def reroute(
    db: Database,
    caller: StaffIdentity | None,
    reference: str,
    data: ReferenceData,
    now: datetime,
    *,
    category_code: str | None,
    point: tuple[float, float] | None,
    body_code: str | None,
) -> Item:
    """Change the category, move the pin or hand over to another body (supervisors, admins)."""
    async with db.writing() as session:
        opened = await open_item(session, caller, reference, data, WRITE)
        triage.reroute(
            session,
            opened.identity,
            opened.item,
            data,
            now,
            category_code=category_code,
            point=point,
            body_code=body_code,
        )
        return opened.item


async def mark_duplicate(
    db: Database,
    caller: StaffIdentity | None,
    reference: str,
    data: ReferenceData,
    now: datetime,
    *,
    original_reference: str,
) -> Item:
    """Close the item as a duplicate of another item of the caller's bodies."""
    async with db.writing() as session:
        opened = await open_item(session, caller, reference, data, WRITE)
        await triage.mark_duplicate(
            session, opened.identity, opened.item, original_reference, opened.bodies, now
        )
        return opened.item


async def read_item_contact(
    db: Database,
    caller: StaffIdentity | None,
    reference: str,
    data: ReferenceData,
    now: datetime,
    cipher: FieldCipher,
) -> ContactDetails:
    """The resident's contact, for the handling body's staff while the consent holds; the
    read is logged (the contact-access log and the audit log)."""
    async with db.writing() as session:
        opened = await open_item(session, caller, reference, data, READ)
        assert opened.item.id is not None
        contact = await read_contact(session, opened.item.id, opened.identity.staff_id, now, cipher)
        triage.audit(session, opened.identity, "contact_read", opened.item, now)
        return contact


def _note_errors(private_note: str | None) -> list[DomainError]:
    return items.text_errors(private_note, field="privateNote", maximum=triage.MAX_TEXT)


async def contact_readable(session: AsyncSession, item_id: int) -> bool:
    """Whether the item has a contact its staff may read now (the follow-up consent holds);
    nothing is decrypted nor logged: that is ``read_item_contact``'s deliberate act."""
    if await contact_of(session, item_id) is None:
        return False
    return ConsentPurpose.FOLLOW_UP_CONTACT in await active_consents(session, item_id)


async def assignable_staff(session: AsyncSession, bodies: frozenset[str]) -> list[StaffUser]:
    """Who an item of these bodies may be assigned to (``triage.assign``'s own rule): the
    active staff of these bodies but council members, by name."""
    statement = (
        select(StaffUser)
        .where(
            col(StaffUser.body_code).in_(sorted(bodies)),
            col(StaffUser.active).is_(True),
            StaffUser.role != Role.COUNCIL.value,
        )
        .order_by(col(StaffUser.name), col(StaffUser.id))
    )
    return list((await session.exec(statement)).all())


async def staff_names(session: AsyncSession, staff_ids: set[int]) -> dict[int, str]:
    """Names of staff members by id (to say who did what in a history)."""
    if not staff_ids:
        return {}
    statement = select(StaffUser.id, StaffUser.name).where(col(StaffUser.id).in_(staff_ids))
    return {i: n for i, n in (await session.exec(statement)).all() if i is not None}
