"""Personal data rules: validate contact details, record consents, mask free text."""

from __future__ import annotations

import hashlib
import hmac
import re
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from service.errors import N_, DomainError
from service.privacy.errors import PrivacyErrorCode
from service.privacy.models import Consent, ConsentPurpose, Contact, ContactAccess

EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]{2,}$")
MAX_EMAIL = 254
MAX_NAME = 100
MAX_TEXT_VERSION = 40

# In free text: e-mail addresses, and phone numbers as the French write them (06 12 34 56 78,
# 06.12.34.56.78, +33 6 12 34 56 78, 0033...). Masking a number that was not a phone is a
# smaller harm than publishing one that was.
EMAIL_IN_TEXT = re.compile(r"[\w.%+\-]+@[\w\-]+(?:\.[\w\-]+)+")
PHONE_IN_TEXT = re.compile(
    r"(?<![\w+])(?:(?:\+|00)\s?\d{1,3}[\s.\-]?(?:\(0\)[\s.\-]?)?[1-9]|0[1-9])"
    r"(?:[\s.\-]?\d{2}){4}(?!\d)"
)
MASK = "[…]"


def mask_personal_data(text: str) -> str:
    """The text with e-mail addresses and phone numbers replaced, for public views."""
    return PHONE_IN_TEXT.sub(MASK, EMAIL_IN_TEXT.sub(MASK, text))


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
    if len(contact.consent_text_version) > MAX_TEXT_VERSION:
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
    session: AsyncSession, item_id: int, contact: ContactRequest, *, channel: str, now: datetime
) -> None:
    """Keep the contact apart from the item, with the consents that allow it."""
    session.add(
        Contact(
            item_id=item_id,
            name=(contact.name or "").strip() or None,
            email=contact.email.strip().lower() if contact.email else None,
            phone=normalise_phone(contact.phone) if contact.phone else None,
            created_at=now,
        )
    )
    purposes = [ConsentPurpose.FOLLOW_UP_CONTACT]
    if contact.share_with_body:
        purposes.append(ConsentPurpose.SHARE_WITH_OPERATOR)
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


async def active_consents(session: AsyncSession, item_id: int) -> set[ConsentPurpose]:
    statement = select(Consent).where(Consent.item_id == item_id, Consent.withdrawn_at == None)  # noqa: E711
    return {ConsentPurpose(c.purpose) for c in (await session.exec(statement)).all()}


def keyed_hash(secret: str, purpose: str, value: str) -> str:
    """A pseudonym for a value we must recognise but never keep (a device key...).

    HMAC with the newest secret key and a purpose label, so the same value gives unrelated
    pseudonyms for different purposes. Rotating the newest key starts a new series.
    """
    return hmac.new(secret.encode(), f"{purpose}:{value}".encode(), hashlib.sha256).hexdigest()


async def read_contact(
    session: AsyncSession, item_id: int, staff_id: int, now: datetime
) -> Contact:
    """A resident's contact, for the handling body's staff (the caller checks that), only
    while the follow-up consent holds; every read is logged."""
    contact = (await session.exec(select(Contact).where(Contact.item_id == item_id))).first()
    if contact is None or ConsentPurpose.FOLLOW_UP_CONTACT not in await active_consents(
        session, item_id
    ):
        raise DomainError(
            PrivacyErrorCode.NO_CONTACT,
            N_("The resident left no contact for this item, or withdrew their consent."),
            field="reference",
        )
    session.add(ContactAccess(at=now, staff_id=staff_id, item_id=item_id))
    return contact
