"""The register of processing, served in the caller's language."""

from __future__ import annotations

from typing import Annotated, Any

import strawberry
from strawberry.types import Info

from service import field_access
from service.context import Context
from service.i18n.translator import Translator
from service.invariants import required
from service.privacy import consent_texts, register, transparency
from service.privacy.models import ConsentPurpose
from service.privacy.retention import RetentionPeriods
from service.privacy.types import (
    ConsentText,
    ConsentTextSet,
    ProcessedData,
    ProcessingActivity,
    ProcessingRegister,
    TransparencyLine,
    TransparencyReport,
    TransparencySection,
)


@strawberry.type
class PrivacyQuery:
    @strawberry.field(
        description="The register of processing activities (RGPD art. 30): purposes, legal "
        "bases, data, recipients and retention, generated from the code's own declarations.",
        metadata=field_access.public(),
    )
    async def processing_register(self, info: Info[Context, None]) -> ProcessingRegister:
        return processing_register(info.context.translator, info.context.services.retention_periods)

    @strawberry.field(
        description="The consent texts of a published version in the caller's language (the "
        "request's Accept-Language): without a version, the current one, to show before a "
        "resident gives a contact; with the version a consent names, the text they read. "
        "Null for a version never published.",
        metadata=field_access.public(cacheable=True),
    )
    async def consent_texts(
        self,
        info: Info[Context, None],
        version: Annotated[
            str | None,
            strawberry.argument(description="E.g. web-2026-06; null: the current version."),
        ] = None,
    ) -> ConsentTextSet | None:
        return consent_text_set(version, info.context.translator.locale)

    @strawberry.field(
        description="The annual transparency report of a year (a past one, or this one so "
        "far), in the caller's language: the same counts as the command "
        "`transparency-report` and the page /transparence.",
        metadata=field_access.public(scope=None),
    )
    async def transparency_report(
        self,
        info: Info[Context, None],
        year: Annotated[int, strawberry.argument(description="The year, e.g. 2025.")],
    ) -> TransparencyReport:
        context = info.context
        checked = transparency.checked_year(year, context.now.date())
        async with context.db.reading() as session:
            report = await transparency.transparency_report(session, checked)
        return transparency_view(report, context.translator)


def transparency_view(report: dict[str, Any], translator: Translator) -> TransparencyReport:
    """The report as the API and the page give it (built by ``service.privacy.transparency``)."""
    return TransparencyReport(
        year=report["year"],
        title=transparency.title(report, translator),
        sections=[
            TransparencySection(
                title=section.title,
                lines=[
                    TransparencyLine(key=line.key, label=line.label, count=line.count)
                    for line in section.lines
                ],
            )
            for section in transparency.sections(report, translator)
        ],
        markdown=transparency.to_markdown(report, translator),
    )


def consent_text_set(version: str | None, locale: str) -> ConsentTextSet | None:
    library = consent_texts.published()
    found = library.get(version)
    if found is None:
        return None
    return ConsentTextSet(
        version=found.version,
        published_on=found.published_on,
        current=found.version == library.current,
        language=locale,
        texts=[ConsentText(purpose=p, text=found.text(p, locale)) for p in ConsentPurpose],
    )


def consent_text_of(purpose: str, locale: str) -> dict[str, str | None]:
    """The current consent text of a purpose residents consent to by ticking a box."""
    try:
        consented = ConsentPurpose(purpose)
    except ValueError:
        return {"consent_text_version": None, "consent_text": None}
    current = required(consent_texts.published().get(None), "the current consent texts")
    return {
        "consent_text_version": current.version,
        "consent_text": current.text(consented, locale),
    }


def processing_register(translator: Translator, periods: RetentionPeriods) -> ProcessingRegister:
    """The register in one language, with the configured retention periods: what the API
    serves and the personal-data page shows."""
    _ = translator.gettext
    activities = []
    for activity in register.processing_activities():
        purpose = activity.purpose
        data = []
        for item in activity.data:
            days = register.retention_days(item.retention, periods)
            label = register.RETENTION_LABELS[item.retention]
            data.append(
                ProcessedData(
                    category=item.category,
                    label=_(register.CATEGORY_LABELS[item.category]),
                    encrypted=item.encrypted,
                    retention=item.retention,
                    retention_label=_(label, days=translator.number(days))
                    if days is not None
                    else _(label),
                )
            )
        activities.append(
            ProcessingActivity(
                purpose=purpose.code,
                title=_(purpose.title),
                description=_(purpose.description),
                legal_basis=purpose.legal_basis,
                legal_basis_label=_(register.LEGAL_BASIS_LABELS[purpose.legal_basis]),
                data_subjects=_(purpose.data_subjects),
                data=data,
                recipients=list(purpose.recipients),
                recipient_labels=[_(register.RECIPIENT_LABELS[r]) for r in purpose.recipients],
                **consent_text_of(purpose.code, translator.locale),
            )
        )
    return ProcessingRegister(controller=_(register.CONTROLLER), activities=activities)
