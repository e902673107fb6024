"""One language per answer: graphql-core's messages, Open311's refusals, numbers and dates
inside messages all read in the caller's language; developers keep graphql-core's words."""

from __future__ import annotations

import httpx
import pytest

from service.context import Services
from service.staff.models import Role
from tests.integrations.test_open311 import V2, tree_pruning_form
from tests.service_requests.support import bulky_waste_input, with_answer
from tests.support import graphql, operation, staff, submit_report

pytestmark = pytest.mark.anyio


@pytest.mark.parametrize(
    ("document", "french", "original"),
    [
        (
            "{ noSuchField }",
            "La requête ne correspond pas au schéma : le type « Query » n'a pas de champ "
            "« noSuchField ».",
            "Cannot query field 'noSuchField' on type 'Query'.",
        ),
        (
            "{ communes }",
            "La requête ne correspond pas au schéma : le champ « communes » (type [Commune!]!) "
            "demande une sélection de ses champs entre { }. Vouliez-vous dire "
            "« communes { ... } » ?",
            "Field 'communes' of type '[Commune!]!' must have a selection of subfields.",
        ),
        (
            "query($x: String) { communes { code } }",
            "La requête ne correspond pas au schéma : la variable « $x » est déclarée mais "
            "jamais utilisée.",
            "Variable '$x' is never used.",
        ),
        (
            "{ communes { cod } }",
            "La requête ne correspond pas au schéma : le type « Commune » n'a pas de champ "
            "« cod ». Vouliez-vous dire « code » ?",
            "Cannot query field 'cod' on type 'Commune'.",
        ),
        (
            "{ communes {",
            "La requête n'a pas pu être lue : elle cesse d'être du GraphQL à la ligne 1, "
            "colonne 13.",
            "Syntax Error",
        ),
    ],
)
async def test_a_document_error_reads_in_french_with_the_original_for_developers(
    client: httpx.AsyncClient, document: str, french: str, original: str
) -> None:
    # when
    response = await graphql(client, document, language="fr")
    # then
    errors = response.json()["errors"]
    assert len(errors) == 1
    assert errors[0]["message"] == french
    assert errors[0]["extensions"]["detail"].startswith(original)
    assert "Cannot" not in errors[0]["message"] and "Syntax" not in errors[0]["message"]


@pytest.mark.parametrize("language", ["fr", "ar"])
async def test_an_unknown_graphql_core_message_is_not_quoted_in_english(
    client: httpx.AsyncClient, language: str
) -> None:
    # given: an error no pattern knows (two anonymous operations)
    response = await graphql(client, "{ communes { code } } { bodies { code } }", language=language)
    # then
    error = response.json()["errors"][0]
    assert "anonymous" not in error["message"]
    assert "extensions.detail" in error["message"]
    assert "anonymous" in error["extensions"]["detail"]


async def test_open311_refusals_are_all_in_the_callers_language(
    client: httpx.AsyncClient,
) -> None:
    # when: a 403 (no key), a 404 and a 400
    forbidden = await client.post(
        f"{V2}/requests.json", data=tree_pruning_form(""), headers={"accept-language": "fr"}
    )
    missing = await client.get(f"{V2}/services/nothing.json", headers={"accept-language": "fr"})
    bad = await client.get(
        f"{V2}/requests.json", params={"status": "pending"}, headers={"accept-language": "de"}
    )
    # then
    assert forbidden.status_code == 403
    assert forbidden.json()[0]["description"] == (
        "Une api_key valide est nécessaire pour envoyer des demandes."
    )
    assert missing.json()[0]["description"] == "Aucun service n'a le code nothing."
    assert bad.json()[0]["description"].startswith("status muss open, closed")


async def test_open311_status_notes_are_the_bodys_answers_only(
    client: httpx.AsyncClient, services: Services
) -> None:
    # given: a report answered, then re-routed (a public line naming the new body)
    reference = (await submit_report(client, categoryCode="graffiti"))["report"]["reference"]
    supervisor = await staff(services, client, "mairie-49007", Role.SUPERVISOR)
    answered = await supervisor.call(
        "ItemTransition",
        {"reference": reference, "status": "IN_PROGRESS", "publicAnswer": "Équipe prévenue."},
    )
    assert answered["data"]["itemTransition"]["errors"] == []
    await supervisor.call("ItemReroute", {"reference": reference, "categoryCode": "road_sign"})
    # when
    record = (await client.get(f"{V2}/requests/{reference}.json")).json()[0]
    # then: the answer, not the new body's name
    assert record["status_notes"] == "Équipe prévenue."


async def test_numbers_in_messages_are_written_for_the_language(
    client: httpx.AsyncClient,
) -> None:
    # given: a bulky-waste volume out of its range 0.5 to 5
    values = with_answer(bulky_waste_input(), "volume_m3", value="9")
    response = await graphql(
        client, operation("ServiceRequestCreate"), {"input": values}, language="fr"
    )
    # then
    errors = response.json()["data"]["serviceRequestCreate"]["errors"]
    assert [e["message"] for e in errors] == ["Indiquez un nombre entre 0,5 et 5."]
