"""The annual transparency report: what the service collected, kept, read and removed in a
year, from real counts (ALM publishes one every year). Counts only, never data.

Contacts leave no row once deleted, so "collected" counts the follow-up consents given (a
contact exists only with one) and "deleted" adds up the privacy log (purges, erasures,
withdrawals); staff reads come from the audit log, which outlives the contact-read log.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from service.errors import N_, DomainError
from service.i18n.translator import Translator
from service.items.lifecycle import KIND_LABELS
from service.items.models import Item, ItemKind
from service.moderation.models import ItemFlag
from service.photos.models import Photo, PhotoStatus
from service.privacy.errors import PrivacyErrorCode
from service.privacy.models import Consent, ConsentPurpose, PrivacyAction, PrivacyLogEntry
from service.sensors.models import Sensor, SensorOpinion
from service.staff.models import AuditEntry
from service.trends.labels import CHANNEL_LABELS

TITLE = N_("Transparency report %(year)s")
BY_KIND = N_("Items received, by kind")
BY_CHANNEL = N_("Items received, by channel")
PERSONAL_DATA = N_("Personal data")
# The report's lines, in order: (key, label msgid).
LINES = (
    ("contactsCollected", N_("Contacts left by residents (with their consent)")),
    ("contactsDeleted", N_("Contacts deleted (retention, erasure, withdrawal)")),
    ("consentsGiven", N_("Consents given")),
    ("consentsWithdrawn", N_("Consents withdrawn")),
    ("contactReads", N_("Reads of a resident's contact by staff")),
    ("exports", N_("Copies of their data asked for by residents")),
    ("erasures", N_("Erasures asked for by residents")),
    ("sensorsRegistered", N_("Sensors added to the public register")),
    ("opinionsReceived", N_("Opinions received on sensors")),
    ("flagsReceived", N_("Flags on public texts received from the public")),
    ("publicTextsHiddenOrEdited", N_("Public texts hidden or rewritten by moderation")),
    ("photosReceived", N_("Photos received with items (still held)")),
    ("photosPublished", N_("Photos published after review by staff")),
    ("photosHidden", N_("Photos hidden by moderation")),
    ("photosErased", N_("Photos erased at residents' request")),
)


FIRST_YEAR = 2000


def checked_year(year: int, today: date) -> int:
    """A year the report can be made for: a past one, or this one so far."""
    if not FIRST_YEAR <= year <= today.year:
        raise DomainError(
            PrivacyErrorCode.INVALID_YEAR,
            N_("Choose a year between %(first)s and %(last)s."),
            field="year",
            first=FIRST_YEAR,
            last=today.year,
        )
    return year


async def transparency_report(session: AsyncSession, year: int) -> dict[str, Any]:
    """The counts of ``year`` (UTC), as a JSON-ready document."""
    start, end = datetime(year, 1, 1, tzinfo=UTC), datetime(year + 1, 1, 1, tzinfo=UTC)

    async def count(column: Any, *where: Any) -> int:
        statement = select(func.count()).where(column >= start, column < end, *where)
        return int((await session.exec(statement)).one())

    async def grouped(column: Any) -> dict[str, int]:
        statement = (
            select(column, func.count())
            .where(col(Item.created_at) >= start, col(Item.created_at) < end)
            .group_by(column)
            .order_by(column)
        )
        return {str(key): int(n) for key, n in (await session.exec(statement)).all()}

    log = (
        await session.exec(
            select(PrivacyLogEntry.action, PrivacyLogEntry.item_id, PrivacyLogEntry.counts).where(
                col(PrivacyLogEntry.at) >= start, col(PrivacyLogEntry.at) < end
            )
        )
    ).all()
    # A purge counts the contacts of many items; an erasure also logs the withdrawal it makes,
    # so residents' deletions count once per item.
    purged = sum(
        int(json.loads(counts).get("contacts", 0))
        for action, _, counts in log
        if action == PrivacyAction.PURGE.value
    )
    by_residents = {
        item_id
        for action, item_id, counts in log
        if action in (PrivacyAction.ERASE.value, PrivacyAction.CONSENT_WITHDRAWN.value)
        and int(json.loads(counts).get("contacts", 0)) > 0
    }
    return {
        "year": year,
        "itemsByKind": await grouped(Item.kind),
        "itemsByChannel": await grouped(Item.channel),
        "contactsCollected": await count(
            col(Consent.given_at), Consent.purpose == ConsentPurpose.FOLLOW_UP_CONTACT.value
        ),
        "contactsDeleted": purged + len(by_residents),
        "consentsGiven": await count(col(Consent.given_at)),
        "consentsWithdrawn": await count(col(Consent.withdrawn_at)),
        "contactReads": await count(col(AuditEntry.at), AuditEntry.action == "contact_read"),
        "exports": sum(1 for action, _, _ in log if action == PrivacyAction.EXPORT.value),
        "erasures": sum(1 for action, _, _ in log if action == PrivacyAction.ERASE.value),
        "sensorsRegistered": await count(col(Sensor.created_at)),
        "opinionsReceived": await count(col(SensorOpinion.created_at)),
        # Notice and takedown (the moderation of what the public reads).
        "flagsReceived": await count(col(ItemFlag.created_at)),
        "publicTextsHiddenOrEdited": await count(
            col(AuditEntry.at),
            col(AuditEntry.action).in_(["moderation_hide", "moderation_edit"]),
        ),
        "photosReceived": await count(
            col(Photo.created_at), col(Photo.status) != PhotoStatus.UPLOADED.value
        ),
        "photosPublished": await count(col(AuditEntry.at), AuditEntry.action == "photo.approve"),
        "photosHidden": await count(col(AuditEntry.at), AuditEntry.action == "photo.hide"),
        "photosErased": sum(
            int(json.loads(counts).get("photos", 0))
            for action, _, counts in log
            if action == PrivacyAction.ERASE.value
        ),
    }


@dataclass(frozen=True)
class Line:
    """One count of the report, named for people."""

    key: str
    label: str
    count: int


@dataclass(frozen=True)
class Section:
    title: str
    lines: list[Line]


def channel_label(channel: str, translator: Translator) -> str:
    """« Mobile app », « Town-hall counter »…; an integrator's channel keeps its name."""
    group, _, client = channel.partition(":")
    label = CHANNEL_LABELS.get(group)
    if label is None:
        return channel
    return f"{translator.gettext(label)} ({client})" if client else translator.gettext(label)


def sections(report: dict[str, Any], translator: Translator) -> list[Section]:
    """The report's parts in the translator's language: what the command, the page, its
    downloads and the API all show."""
    t = translator.gettext
    return [
        Section(
            t(BY_KIND),
            [
                Line(kind, t(KIND_LABELS[ItemKind(kind)]), n)
                for kind, n in report["itemsByKind"].items()
            ],
        ),
        Section(
            t(BY_CHANNEL),
            [
                Line(channel, channel_label(channel, translator), n)
                for channel, n in report["itemsByChannel"].items()
            ],
        ),
        Section(t(PERSONAL_DATA), [Line(key, t(label), report[key]) for key, label in LINES]),
    ]


def title(report: dict[str, Any], translator: Translator) -> str:
    return translator.gettext(TITLE, year=report["year"])


def to_markdown(report: dict[str, Any], translator: Translator) -> str:
    """The report as a page ALM can publish, in the translator's language."""
    lines = [f"# {title(report, translator)}"]
    for section in sections(report, translator):
        lines += ["", f"## {section.title}", ""]
        lines += [f"- {line.label}: {translator.number(line.count)}" for line in section.lines]
    return "\n".join(lines) + "\n"
