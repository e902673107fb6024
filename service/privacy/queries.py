"""The register of processing, served in the caller's language."""

from __future__ import annotations

from typing import Annotated, Any

import strawberry
from strawberry.types import Info

from service import field_access
from service.context import Context
from service.i18n.translator import Translator
from service.privacy import register, transparency
from service.privacy.retention import RetentionPeriods
from service.privacy.types import (
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
            )
        )
    return ProcessingRegister(controller=_(register.CONTROLLER), activities=activities)
