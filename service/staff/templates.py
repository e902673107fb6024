"""Answer templates: reusable public answers of a body, one text per language.

Agents pick a template by its code; the resident reads it in their own language when the
body wrote that translation, otherwise in the body's reference language (French), and the
history says which language the answer is written in.
"""

from __future__ import annotations

import re
from datetime import datetime

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from service.db import Database
from service.errors import N_, DomainError, ValidationFailed
from service.items import rules as items
from service.settings import SUPPORTED_LOCALES
from service.staff import triage
from service.staff.errors import StaffErrorCode
from service.staff.models import AnswerTemplate
from service.staff.permissions import ASSIGNING_ROLES, forbidden
from service.staff.rules import StaffIdentity
from service.staff.triage import DEFAULT_ANSWER_LANGUAGE

CODE_PATTERN = re.compile(r"^[a-z0-9][a-z0-9-]{0,59}$")
MAX_TITLE = 120
MAX_TEXT = 4_000


def _errors(code: str, language: str, title: str, text: str) -> list[DomainError]:
    errors: list[DomainError] = []
    if not CODE_PATTERN.match(code):
        errors.append(
            DomainError(
                StaffErrorCode.INVALID_TEMPLATE_CODE,
                N_("A template code has 1 to 60 lower-case letters, digits or dashes."),
                field="code",
            )
        )
    if language not in SUPPORTED_LOCALES:
        errors.append(
            DomainError(
                StaffErrorCode.UNSUPPORTED_LANGUAGE,
                N_("Choose one of the supported languages: %(languages)s."),
                field="language",
                languages=", ".join(SUPPORTED_LOCALES),
            )
        )
    errors += items.text_errors(title, field="title", maximum=MAX_TITLE, required=True)
    errors += items.text_errors(text, field="text", maximum=MAX_TEXT, required=True)
    return errors


async def save(
    db: Database,
    identity: StaffIdentity,
    *,
    code: str,
    language: str,
    title: str,
    text: str,
    now: datetime,
) -> AnswerTemplate:
    """Create or replace the caller's body's template ``code`` in ``language`` (supervisors
    and admins), audited, in its own write transaction."""
    if identity.role not in ASSIGNING_ROLES:
        raise forbidden()
    code, language = code.strip().lower(), language.strip().lower()
    errors = _errors(code, language, title, text)
    if errors:
        raise ValidationFailed(errors)
    async with db.writing() as session:
        template = await _find(session, identity.body_code, code, language)
        if template is None:
            template = AnswerTemplate(
                body_code=identity.body_code,
                code=code,
                language=language,
                title="",
                text="",
                updated_at=now,
                updated_by_id=identity.staff_id,
            )
        template.title, template.text = title.strip(), text.strip()
        template.updated_at, template.updated_by_id = now, identity.staff_id
        session.add(template)
        triage.audit(session, identity, "template_saved", None, now, f"{code}/{language}")
        return template


async def delete(
    db: Database, identity: StaffIdentity, *, code: str, language: str, now: datetime
) -> None:
    """Remove one translation of one of the caller's body's templates, audited, in its own
    write transaction."""
    if identity.role not in ASSIGNING_ROLES:
        raise forbidden()
    async with db.writing() as session:
        template = await _find(session, identity.body_code, code.strip().lower(), language)
        if template is None:
            raise template_not_found(code)
        await session.delete(template)
        triage.audit(session, identity, "template_deleted", None, now, f"{code}/{language}")


async def listed(
    session: AsyncSession, bodies: frozenset[str], code: str | None = None
) -> list[AnswerTemplate]:
    """The templates of these bodies, by body, code and language."""
    statement = select(AnswerTemplate).where(col(AnswerTemplate.body_code).in_(sorted(bodies)))
    if code:
        statement = statement.where(AnswerTemplate.code == code.strip().lower())
    statement = statement.order_by(
        col(AnswerTemplate.body_code), col(AnswerTemplate.code), col(AnswerTemplate.language)
    )
    return list((await session.exec(statement)).all())


async def answer_from_template(
    session: AsyncSession,
    code: str,
    *,
    bodies: list[str],
    language: str,
    reference: str,
) -> tuple[str, str]:
    """The text of template ``code`` for a resident reading ``language``, and the language it
    is written in: theirs when the body wrote that translation, else French, else any. The
    first of ``bodies`` that has the template wins (the item's body, then the agent's).
    ``{reference}`` in the text becomes the item's reference."""
    for body_code in bodies:
        statement = select(AnswerTemplate).where(
            AnswerTemplate.body_code == body_code, AnswerTemplate.code == code.strip().lower()
        )
        translations = {t.language: t for t in (await session.exec(statement)).all()}
        if translations:
            chosen = (
                translations.get(language)
                or translations.get(DEFAULT_ANSWER_LANGUAGE)
                or translations[sorted(translations)[0]]
            )
            return chosen.text.replace("{reference}", reference), chosen.language
    raise template_not_found(code)


def template_not_found(code: str) -> DomainError:
    return DomainError(
        StaffErrorCode.NOT_FOUND,
        N_("There is no answer template %(template)s in your bodies."),
        field="answerTemplateCode",
        template=code,
    )


async def _find(
    session: AsyncSession, body_code: str, code: str, language: str
) -> AnswerTemplate | None:
    statement = select(AnswerTemplate).where(
        AnswerTemplate.body_code == body_code,
        AnswerTemplate.code == code,
        AnswerTemplate.language == language,
    )
    return (await session.exec(statement)).first()
