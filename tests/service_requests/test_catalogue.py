"""The service catalogue: services with typed questions, in every language, per commune."""

from __future__ import annotations

import httpx
import pytest

from tests.support import data_of, operation

pytestmark = pytest.mark.anyio


async def test_services_list_their_typed_questions_in_the_callers_language(
    client: httpx.AsyncClient,
) -> None:
    # when
    french = await data_of(client, operation("Services"), {}, language="fr")
    german = await data_of(client, operation("Services"), {}, language="de")
    # then
    services = {s["code"]: s for s in french["services"]}
    assert len(services) == 8
    bulky = services["bulky_waste_pickup"]
    assert bulky["label"] == "Collecte des encombrants"
    assert bulky["homeAddress"] is True and bulky["location"] == "ADDRESS"
    assert bulky["group"] == {"code": "waste", "label": "Déchets et recyclage"}
    questions = {q["code"]: q for q in bulky["questions"]}
    assert [q["datatype"] for q in bulky["questions"]] == [
        "MULTIVALUELIST",
        "NUMBER",
        "DATETIME",
        "TEXT",
    ]
    assert questions["volume_m3"]["minimum"] == 0.5 and questions["volume_m3"]["maximum"] == 5
    assert {"key": "mattress", "label": "Matelas ou sommier"} in questions["items"]["values"]
    german_bulky = next(s for s in german["services"] if s["code"] == "bulky_waste_pickup")
    assert german_bulky["label"] == "Sperrmüllabholung"


async def test_every_service_label_question_and_value_is_translated_in_every_language(
    client: httpx.AsyncClient,
) -> None:
    for language in ("fr", "es", "de", "ar"):
        # when
        english = await data_of(client, operation("Services"), {}, language="en")
        other = await data_of(client, operation("Services"), {}, language=language)
        # then: nothing falls back to the English msgid (the catalog has every entry)
        for mine, theirs in zip(english["services"], other["services"], strict=True):
            assert mine["label"] != theirs["label"], (language, mine["code"])
            for q_en, q_other in zip(mine["questions"], theirs["questions"], strict=True):
                assert q_en["label"] != q_other["label"], (language, q_en["code"])


async def test_services_offered_depend_on_the_commune(client: httpx.AsyncClient) -> None:
    # when
    angers = await data_of(client, operation("Services"), {"commune": "49007"})
    behuard = await data_of(client, operation("Services"), {"commune": "49028"})
    mediator = await data_of(client, operation("Service"), {"code": "digital_mediator_appointment"})
    # then: digital mediators work in five communes, not in Béhuard
    angers_codes = {s["code"] for s in angers["services"]}
    behuard_codes = {s["code"] for s in behuard["services"]}
    assert "digital_mediator_appointment" in angers_codes
    assert "digital_mediator_appointment" not in behuard_codes
    assert "bulky_waste_pickup" in behuard_codes
    assert [c["code"] for c in mediator["service"]["communes"]] == [
        "49007",
        "49015",
        "49246",
        "49214",
        "49353",
    ]


async def test_an_unknown_service_is_null(client: httpx.AsyncClient) -> None:
    # when
    data = await data_of(client, operation("Service"), {"code": "no_such_service"})
    # then
    assert data["service"] is None
