"""Personal data rules: validate contact details, record consents, mask free text."""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import ColumnElement, and_, bindparam, insert
from sqlalchemy import select as sql_select
from sqlalchemy.orm import Session
from sqlmodel import col, delete, or_, select
from sqlmodel.ext.asyncio.session import AsyncSession

from service.errors import N_, DomainError
from service.outbox.models import OutboxEntry
from service.privacy import consent_texts, masking
from service.privacy.crypto import FieldCipher, UndecryptableValue
from service.privacy.errors import PrivacyErrorCode
from service.privacy.models import (
    Consent,
    ConsentPurpose,
    Contact,
    ContactAccess,
    PrivacyAction,
    PrivacyLogEntry,
)

EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]{2,}$")
MAX_EMAIL = 254
MAX_NAME = 100
MAX_TEXT_VERSION = 40

# Masking free text lives in its own module (service.privacy.masking); its two names stay
# importable from here.
MASK = masking.MASK
mask_personal_data = masking.mask_personal_data


def normalise_phone(raw: str) -> str | None:
    """+33… for a French number, +<digits> for an international one; None if not a phone."""
    digits = re.sub(r"[\s.\-()]", "", raw)
    if digits.startswith("00"):
        digits = "+" + digits[2:]
    if re.fullmatch(r"0[1-9]\d{8}", digits):
        return "+33" + digits[1:]
    if re.fullmatch(r"\+[1-9]\d{7,14}", digits):
        return digits
    return None


@dataclass(frozen=True)
class ContactRequest:
    """What a resident gives to be contacted, and what they consent to."""

    name: str | None
    email: str | None
    phone: str | None
    follow_up_consent: bool
    consent_text_version: str
    share_with_body: bool = False
    satisfaction_survey: bool = False


@dataclass(frozen=True)
class ContactDetails:
    """A contact as people read it: decrypted."""

    name: str | None
    email: str | None
    phone: str | None


# The associated data of each encrypted column: a value moved to another column won't decrypt.
NAME_COLUMN, EMAIL_COLUMN, PHONE_COLUMN = "contact.name", "contact.email", "contact.phone"
EMAIL_LOOKUP, PHONE_LOOKUP = "contact-email", "contact-phone"


def sealed_values(details: ContactDetails, cipher: FieldCipher) -> dict[str, str | None]:
    """The stored columns of a contact: encrypted with the newest key, with lookup digests."""
    return {
        "name": cipher.encrypt(details.name, NAME_COLUMN),
        "email": cipher.encrypt(details.email, EMAIL_COLUMN),
        "phone": cipher.encrypt(details.phone, PHONE_COLUMN),
        "email_hash": cipher.lookup_hash(details.email, EMAIL_LOOKUP) if details.email else None,
        "phone_hash": cipher.lookup_hash(details.phone, PHONE_LOOKUP) if details.phone else None,
        "key_id": cipher.current_key_id,
    }


def seal_contact(row: Contact, details: ContactDetails, cipher: FieldCipher) -> None:
    """Write ``details`` into ``row``, encrypted."""
    for column, value in sealed_values(details, cipher).items():
        setattr(row, column, value)


class StoredContact(Protocol):
    @property
    def name(self) -> str | None: ...
    @property
    def email(self) -> str | None: ...
    @property
    def phone(self) -> str | None: ...
    @property
    def key_id(self) -> str | None: ...


def open_contact(row: StoredContact, cipher: FieldCipher | None) -> ContactDetails:
    """The decrypted contact; a row from before encryption (no key id) is read as it is."""
    if row.key_id is None:
        return ContactDetails(name=row.name, email=row.email, phone=row.phone)
    if cipher is None:
        raise UndecryptableValue("an encrypted contact needs the cipher")
    return ContactDetails(
        name=cipher.decrypt(row.name, NAME_COLUMN),
        email=cipher.decrypt(row.email, EMAIL_COLUMN),
        phone=cipher.decrypt(row.phone, PHONE_COLUMN),
    )


def contact_errors(contact: ContactRequest, *, prefix: str = "contact.") -> list[DomainError]:
    errors: list[DomainError] = []
    if not contact.follow_up_consent or not contact.consent_text_version.strip():
        errors.append(
            DomainError(
                PrivacyErrorCode.CONSENT_REQUIRED,
                N_("To be contacted, tick the consent and send the version of the text you read."),
                field=f"{prefix}followUpConsent",
            )
        )
    version = contact.consent_text_version.strip()
    # A version the service can show later (consentTexts): one it published.
    if version and (
        len(contact.consent_text_version) > MAX_TEXT_VERSION
        or not consent_texts.published().is_published(version)
    ):
        errors.append(
            DomainError(
                PrivacyErrorCode.CONSENT_REQUIRED,
                N_("The consent text version is not one we published."),
                field=f"{prefix}consentTextVersion",
            )
        )
    if not (contact.email or contact.phone):
        errors.append(
            DomainError(
                PrivacyErrorCode.CONTACT_INCOMPLETE,
                N_("Give an e-mail address or a phone number so that we can contact you."),
                field=f"{prefix}email",
            )
        )
    if contact.email and (len(contact.email) > MAX_EMAIL or not EMAIL.match(contact.email)):
        errors.append(
            DomainError(
                PrivacyErrorCode.INVALID_EMAIL,
                N_("This e-mail address does not look valid."),
                field=f"{prefix}email",
            )
        )
    if contact.phone and normalise_phone(contact.phone) is None:
        errors.append(
            DomainError(
                PrivacyErrorCode.INVALID_PHONE,
                N_("This phone number does not look valid."),
                field=f"{prefix}phone",
            )
        )
    if contact.name and len(contact.name) > MAX_NAME:
        errors.append(
            DomainError(
                PrivacyErrorCode.NAME_TOO_LONG,
                N_("The name is longer than %(limit)s characters."),
                field=f"{prefix}name",
                limit=MAX_NAME,
            )
        )
    return errors


async def store_contact(
    session: AsyncSession,
    item_id: int,
    contact: ContactRequest,
    *,
    channel: str,
    now: datetime,
    cipher: FieldCipher,
) -> None:
    """Keep the contact apart from the item, encrypted, with the consents that allow it."""
    row = Contact(item_id=item_id, created_at=now)
    seal_contact(
        row,
        ContactDetails(
            name=(contact.name or "").strip() or None,
            email=normalise_email(contact.email) if contact.email else None,
            phone=normalise_phone(contact.phone) if contact.phone else None,
        ),
        cipher,
    )
    session.add(row)
    purposes = [ConsentPurpose.FOLLOW_UP_CONTACT]
    if contact.share_with_body:
        purposes.append(ConsentPurpose.SHARE_WITH_OPERATOR)
    if contact.satisfaction_survey:
        purposes.append(ConsentPurpose.SATISFACTION_SURVEY)
    for purpose in purposes:
        session.add(
            Consent(
                item_id=item_id,
                purpose=purpose.value,
                text_version=contact.consent_text_version.strip(),
                channel=channel,
                given_at=now,
            )
        )


# The purposes an item's resident consents to now (given, not withdrawn): one Core statement,
# the follow page reads it in its batched read (``service.web.follow_reads``).
def in_force(item_id: ColumnElement[Any]) -> ColumnElement[bool]:
    """The consents of an item (``item_id``: a bound value or a column to correlate) that
    are in force: given and not withdrawn."""
    return and_(col(Consent.item_id) == item_id, col(Consent.withdrawn_at).is_(None))


ACTIVE_PURPOSES = sql_select(col(Consent.purpose)).where(in_force(bindparam("item_id")))


def active_purposes(session: Session, item_id: int) -> set[ConsentPurpose]:
    """``active_consents`` on a sync session (in the session's transaction, no ORM loading)."""
    found = session.connection().execute(ACTIVE_PURPOSES, {"item_id": item_id})
    return {ConsentPurpose(purpose) for purpose in found.scalars()}


async def active_consents(session: AsyncSession, item_id: int) -> set[ConsentPurpose]:
    return await session.run_sync(active_purposes, item_id)


def keyed_hash(secret: str, purpose: str, value: str) -> str:
    """A pseudonym for a value we must recognise but never keep (a device key...).

    HMAC with the newest secret key and a purpose label, so the same value gives unrelated
    pseudonyms for different purposes. Rotating the newest key starts a new series.
    """
    return hmac.new(secret.encode(), f"{purpose}:{value}".encode(), hashlib.sha256).hexdigest()


def normalise_email(raw: str) -> str:
    return raw.strip().lower()


async def items_with_contact(
    session: AsyncSession,
    cipher: FieldCipher,
    *,
    email: str | None = None,
    phone: str | None = None,
) -> list[int]:
    """Ids of the items whose contact has this e-mail or phone (deduplicating a contact),
    found by keyed digests under every configured key: no plaintext is compared or kept."""
    conditions = []
    if email:
        digests = cipher.lookup_hashes(normalise_email(email), EMAIL_LOOKUP)
        conditions.append(col(Contact.email_hash).in_(digests))
    normalised = normalise_phone(phone) if phone else None
    if normalised:
        digests = cipher.lookup_hashes(normalised, PHONE_LOOKUP)
        conditions.append(col(Contact.phone_hash).in_(digests))
    if not conditions:
        return []
    statement = select(Contact.item_id).where(or_(*conditions)).order_by(col(Contact.item_id))
    return list((await session.exec(statement)).all())


async def contact_of(session: AsyncSession, item_id: int) -> Contact | None:
    return (await session.exec(select(Contact).where(Contact.item_id == item_id))).first()


async def read_contact(
    session: AsyncSession, item_id: int, staff_id: int, now: datetime, cipher: FieldCipher
) -> ContactDetails:
    """A resident's contact, for the handling body's staff (the caller checks that), only
    while the follow-up consent holds; every read is logged."""
    contact = await contact_of(session, item_id)
    if contact is None or ConsentPurpose.FOLLOW_UP_CONTACT not in await active_consents(
        session, item_id
    ):
        raise DomainError(
            PrivacyErrorCode.NO_CONTACT,
            N_("The resident left no contact for this item, or withdrew their consent."),
            field="reference",
        )
    session.add(ContactAccess(at=now, staff_id=staff_id, item_id=item_id))
    return open_contact(contact, cipher)


def log(
    session: AsyncSession,
    action: PrivacyAction,
    *,
    actor: str,
    now: datetime,
    item_id: int | None = None,
    counts: dict[str, int] | None = None,
) -> None:
    """Keep a trace of a privacy operation: kind, time, item and counts, never the data."""
    session.add(
        PrivacyLogEntry(
            at=now,
            action=action.value,
            actor=actor,
            item_id=item_id,
            counts=json.dumps(counts or {}, sort_keys=True),
        )
    )


async def delete_contact(session: AsyncSession, item_id: int, now: datetime) -> bool:
    """Delete an item's contact; tell the consumers (the handling body's copy must go too)."""
    return bool(await delete_contacts(session, [item_id], now))


async def delete_contacts(session: AsyncSession, item_ids: list[int], now: datetime) -> int:
    """Delete the contacts of these items; an outbox entry for each one deleted."""
    present = select(Contact.item_id).where(col(Contact.item_id).in_(item_ids))
    found = list((await session.exec(present)).all())
    if found:
        await session.exec(delete(Contact).where(col(Contact.item_id).in_(found)))
    await announce(session, "item.contact_deleted", found, now)
    return len(found)


async def announce(session: AsyncSession, topic: str, item_ids: list[int], now: datetime) -> None:
    """One outbox entry per item (no personal data in them), in one statement."""
    if item_ids:
        rows = [
            {"topic": topic, "item_id": i, "payload": "{}", "created_at": now} for i in item_ids
        ]
        table = OutboxEntry.__table__  # type: ignore[attr-defined]
        await session.exec(insert(table), params=rows)


async def withdraw_consents(
    session: AsyncSession,
    item_id: int,
    purposes: Iterable[ConsentPurpose] | None,
    now: datetime,
) -> tuple[set[ConsentPurpose], bool]:
    """Withdraw some purposes (all when ``purposes`` is None), effective at once.

    Returns the purposes still consented and whether the contact was deleted: it goes as soon
    as no purpose remains. The withdrawal itself is logged (counts only).
    """
    wanted = None if purposes is None else {p.value for p in purposes}
    statement = select(Consent).where(Consent.item_id == item_id, Consent.withdrawn_at == None)  # noqa: E711
    withdrawn = 0
    remaining: set[ConsentPurpose] = set()
    for consent in (await session.exec(statement)).all():
        if wanted is None or consent.purpose in wanted:
            consent.withdrawn_at = now
            session.add(consent)
            withdrawn += 1
        else:
            remaining.add(ConsentPurpose(consent.purpose))
    deleted = not remaining and await delete_contact(session, item_id, now)
    if withdrawn:
        log(
            session,
            PrivacyAction.CONSENT_WITHDRAWN,
            actor="resident",
            now=now,
            item_id=item_id,
            counts={"consents": withdrawn, "contacts": int(deleted)},
        )
    return remaining, deleted
