"""Answer templates: supervisors write a body's reusable answers in several languages; agents
answer with them; each resident reads the translation in their language, or the French text
with a note saying it is written in French."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest
from sqlmodel import select

from service.context import Services
from service.staff.models import AuditEntry, Role
from tests.staff.test_triage import Staff, staff
from tests.support import data_of, operation, submit_report

pytestmark = pytest.mark.anyio

SCHEDULED = {
    "fr": "Intervention programmée cette semaine ({reference}).",
    "en": "Work is scheduled this week ({reference}).",
}


async def save_scheduled(supervisor: Staff, language: str, code: str) -> dict[str, Any]:
    result = await supervisor.call(
        "AnswerTemplateSave",
        {
            "input": {
                "code": code,
                "language": language,
                "title": "Scheduled",
                "text": SCHEDULED[language],
            }
        },
    )
    payload: dict[str, Any] = result["data"]["answerTemplateSave"]
    return payload


def new_code() -> str:
    """Tests share a database: each writes its own template."""
    return f"scheduled-{uuid.uuid4().hex[:8]}"


async def tracked_history(
    client: httpx.AsyncClient, token: str, language: str
) -> list[dict[str, Any]]:
    data = await data_of(client, operation("Tracked"), {"token": token}, language=language)
    history: list[dict[str, Any]] = data["tracked"]["item"]["history"]
    return history


async def test_the_resident_reads_the_template_in_their_language(
    client: httpx.AsyncClient, services: Services
) -> None:
    # given: a body's template in French and English; residents writing in English and German
    supervisor = await staff(services, client, "mairie-49007", Role.SUPERVISOR)
    agent = await staff(services, client, "mairie-49007", Role.AGENT)
    code = new_code()
    for language in ("fr", "en"):
        assert (await save_scheduled(supervisor, language, code))["errors"] == []
    english = await submit_report(client, language="en", categoryCode="graffiti")
    german = await submit_report(client, language="de", categoryCode="graffiti")
    # when: the agent answers both with the same template
    for payload in (english, german):
        result = await agent.call(
            "ItemTransition",
            {
                "reference": payload["report"]["reference"],
                "status": "IN_PROGRESS",
                "answerTemplateCode": code,
            },
        )
        assert result["data"]["itemTransition"]["errors"] == []
    # then: the English resident reads English, with no note
    answer = (await tracked_history(client, english["trackingToken"], "en"))[-1]
    reference = english["report"]["reference"]
    assert answer["text"] == f"Work is scheduled this week ({reference})."
    assert answer["textLanguage"] == "en" and answer["languageNote"] is None
    # and the German resident reads the French text, told in German that it is French
    answer = (await tracked_history(client, german["trackingToken"], "de"))[-1]
    assert answer["text"] == SCHEDULED["fr"].replace("{reference}", german["report"]["reference"])
    assert answer["textLanguage"] == "fr"
    assert answer["languageNote"] == "Auf Französisch verfasst."


async def test_a_typed_answer_in_french_carries_a_note_for_other_languages(
    client: httpx.AsyncClient, services: Services
) -> None:
    # given
    payload = await submit_report(client, language="es", categoryCode="graffiti")
    agent = await staff(services, client, "mairie-49007", Role.AGENT)
    # when: the agent types in French (the default language of answers)
    await agent.call(
        "ItemAnswer",
        {"reference": payload["report"]["reference"], "publicAnswer": "Nous passons demain."},
    )
    # then: in Spanish, a note says it is in French; in French, no note
    spanish = (await tracked_history(client, payload["trackingToken"], "es"))[-1]
    french = (await tracked_history(client, payload["trackingToken"], "fr"))[-1]
    assert spanish["text"] == "Nous passons demain."
    assert spanish["languageNote"] == "Escrito en francés."
    assert french["languageNote"] is None


async def test_agents_use_templates_but_only_supervisors_write_them(
    client: httpx.AsyncClient, services: Services
) -> None:
    # given
    agent = await staff(services, client, "mairie-49007", Role.AGENT)
    # when
    payload = await save_scheduled(agent, "fr", new_code())
    # then
    assert len(payload["errors"]) == 1 and payload["errors"][0]["code"] == "FORBIDDEN"


async def test_templates_stay_with_their_body_and_saves_are_audited(
    client: httpx.AsyncClient, services: Services
) -> None:
    # given: Angers' supervisor writes a template; Les Ponts-de-Cé's agent has an item
    angers = await staff(services, client, "mairie-49007", Role.SUPERVISOR)
    ponts = await staff(services, client, "mairie-49246", Role.AGENT)
    code = new_code()
    await save_scheduled(angers, "fr", code)
    # when
    seen_by_angers = (await angers.call("AnswerTemplates", {"code": code}))["data"]
    seen_by_ponts = (await ponts.call("AnswerTemplates", {"code": code}))["data"]
    # then
    assert [(t["code"], t["language"]) for t in seen_by_angers["answerTemplates"]] == [(code, "fr")]
    assert seen_by_ponts["answerTemplates"] == []
    async with services.db.reading() as session:
        actions = (
            await session.exec(
                select(AuditEntry.action).where(AuditEntry.staff_id == angers.staff_id)
            )
        ).all()
    assert list(actions) == ["template_saved"]


async def test_an_unknown_template_or_both_texts_are_typed_errors(
    client: httpx.AsyncClient, services: Services
) -> None:
    # given
    reference = (await submit_report(client, categoryCode="graffiti"))["report"]["reference"]
    agent = await staff(services, client, "mairie-49007", Role.AGENT)
    # when
    unknown = await agent.call(
        "ItemAnswer", {"reference": reference, "answerTemplateCode": "no-such-template"}
    )
    both = await agent.call(
        "ItemAnswer",
        {"reference": reference, "publicAnswer": "Typed", "answerTemplateCode": "x"},
    )
    bad_language = await agent.call(
        "ItemAnswer", {"reference": reference, "publicAnswer": "Hi", "answerLanguage": "klingon"}
    )
    # then
    errors = unknown["data"]["itemAnswer"]["errors"]
    assert len(errors) == 1 and errors[0]["code"] == "NOT_FOUND"
    assert errors[0]["field"] == "answerTemplateCode"
    errors = both["data"]["itemAnswer"]["errors"]
    assert len(errors) == 1 and errors[0]["code"] == "TEXT_TWICE"
    errors = bad_language["data"]["itemAnswer"]["errors"]
    assert len(errors) == 1 and errors[0]["code"] == "UNSUPPORTED_LANGUAGE"


async def test_a_template_save_with_bad_fields_lists_every_error(
    client: httpx.AsyncClient, services: Services
) -> None:
    # given
    supervisor = await staff(services, client, "mairie-49007", Role.SUPERVISOR)
    # when
    result = await supervisor.call(
        "AnswerTemplateSave",
        {"input": {"code": "Not A Code!", "language": "xx", "title": " ", "text": "ok"}},
    )
    # then
    errors = result["data"]["answerTemplateSave"]["errors"]
    assert sorted(e["code"] for e in errors) == [
        "INVALID_TEMPLATE_CODE",
        "TEXT_REQUIRED",
        "UNSUPPORTED_LANGUAGE",
    ]


async def test_a_template_can_be_deleted_and_a_reject_can_use_one(
    client: httpx.AsyncClient, services: Services
) -> None:
    # given
    supervisor = await staff(services, client, "mairie-49007", Role.SUPERVISOR)
    code = new_code()
    await save_scheduled(supervisor, "fr", code)
    payload = await submit_report(client, categoryCode="graffiti")
    # when
    rejected = await supervisor.call(
        "ItemReject", {"reference": payload["report"]["reference"], "answerTemplateCode": code}
    )
    deleted = await supervisor.call("AnswerTemplateDelete", {"code": code, "language": "fr"})
    left = (await supervisor.call("AnswerTemplates", {"code": code}))["data"]["answerTemplates"]
    # then
    assert rejected["data"]["itemReject"]["item"]["status"] == "REJECTED"
    assert deleted["data"]["answerTemplateDelete"]["errors"] == [] and left == []
