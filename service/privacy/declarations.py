"""One place for personal data: every column that can hold it, why, on what legal basis, how
long and who reads it. The register of processing (RGPD art. 30) is generated from here, and a
test walks the models and fails on any text or coordinate column declared nowhere.

A domain declares its columns by calling ``declare_personal`` / ``declare_not_personal`` in a
module listed in ``DECLARING_MODULES`` (new domains add their own ``personal_data`` module
there); a new purpose is a ``Purpose`` passed to ``declare_purpose``.
"""

from __future__ import annotations

import enum
import importlib
from collections.abc import Iterable
from dataclasses import dataclass, field

DECLARING_MODULES = (
    "service.privacy.catalogue",
    "service.mail.personal_data",
    "service.sensors.personal_data",
    "service.service_requests.personal_data",
    "service.trends.personal_data",
    "service.moderation.personal_data",
    "service.photos.personal_data",
    "service.tracking.personal_data",
    "service.help_places.personal_data",
)


class LegalBasis(enum.Enum):
    CONSENT = "consent"  # art. 6(1)(a)
    PUBLIC_TASK = "public_task"  # art. 6(1)(e)
    LEGAL_OBLIGATION = "legal_obligation"  # art. 6(1)(c)


class DataCategory(enum.Enum):
    NAME = "name"
    EMAIL = "email"
    PHONE = "phone"
    HOME_ADDRESS = "home_address"
    LOCATION = "location"
    FREE_TEXT = "free_text"
    PSEUDONYM = "pseudonym"
    STAFF_IDENTITY = "staff_identity"
    CREDENTIAL = "credential"
    PHOTO = "photo"


class Recipient(enum.Enum):
    HANDLING_BODY = "handling_body"  # the staff of the body handling the item
    OPERATOR = "operator"  # the body's own system (webhook), with consent
    RESIDENT = "resident"  # the resident themselves, with their tracking token
    ADMINISTRATORS = "administrators"  # the service's administrators of that body
    PUBLIC = "public"  # anyone: only masked text and public-space places


class Retention(enum.Enum):
    """How long a column is kept; the days come from the settings (see ``retention_days``)."""

    CONTACT_AFTER_CLOSE = "contact_after_close"
    FREE_TEXT_AFTER_CLOSE = "free_text_after_close"
    FREE_TEXT_AFTER_CHANGE = "free_text_after_change"  # no item: counted from the last change
    ACCESS_LOG = "access_log"
    WHILE_ACCOUNT_EXISTS = "while_account_exists"
    UNTIL_EXPIRY = "until_expiry"  # sessions and tokens: until they expire or are revoked
    STATISTICS = "statistics"  # kept, anonymous once the free text is gone


@dataclass(frozen=True)
class Purpose:
    """A processing activity of the register: msgids are English, translated when served."""

    code: str
    title: str
    description: str
    legal_basis: LegalBasis
    data_subjects: str
    recipients: tuple[Recipient, ...]


@dataclass(frozen=True)
class PersonalColumn:
    table: str
    column: str
    category: DataCategory
    purposes: tuple[str, ...]
    retention: Retention
    encrypted: bool = False


@dataclass
class Registry:
    purposes: dict[str, Purpose]
    personal: dict[tuple[str, str], PersonalColumn]
    not_personal: dict[tuple[str, str], str]
    # Not personal, but secret and encrypted at rest all the same (webhook signing secrets).
    encrypted_not_personal: set[tuple[str, str]] = field(default_factory=set)


REGISTRY = Registry(purposes={}, personal={}, not_personal={})


def declare_purpose(purpose: Purpose) -> None:
    REGISTRY.purposes[purpose.code] = purpose


def declare_personal(
    table: str,
    columns: Iterable[str],
    *,
    category: DataCategory,
    purposes: Iterable[str],
    retention: Retention,
    encrypted: bool = False,
) -> None:
    """Declare columns holding personal data (one category, purposes, retention)."""
    for column in columns:
        REGISTRY.personal[(table, column)] = PersonalColumn(
            table, column, category, tuple(purposes), retention, encrypted
        )


def declare_not_personal(
    table: str, columns: Iterable[str], *, why: str, encrypted: bool = False
) -> None:
    """Declare text or number columns that cannot identify anyone (codes, labels, ...);
    ``encrypted`` for secrets stored encrypted (service.privacy.crypto) nonetheless."""
    for column in columns:
        REGISTRY.not_personal[(table, column)] = why
        if encrypted:
            REGISTRY.encrypted_not_personal.add((table, column))


def registry() -> Registry:
    """Every declaration, once every declaring module has run."""
    for module in DECLARING_MODULES:
        importlib.import_module(module)
    return REGISTRY
