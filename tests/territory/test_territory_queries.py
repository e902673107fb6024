"""The public territory queries, through the real GraphQL endpoint and a real database."""

from __future__ import annotations

import httpx
import pytest

from tests.support import data_of, graphql, operation

pytestmark = pytest.mark.anyio


async def test_communes_lists_the_29_communes_of_alm_by_name(client: httpx.AsyncClient) -> None:
    # when
    data = await data_of(client, operation("Communes"))
    # then
    communes = data["communes"]
    assert len(communes) == 29
    names = [c["name"] for c in communes]
    assert names[0] == "Angers"
    assert names.index("Écouflant") < names.index("Feneu")  # accents sort as letters
    assert sum(c["population"] for c in communes) == 312_612
    angers = communes[0]
    assert angers == {
        "code": "49007",
        "name": "Angers",
        "postalCodes": ["49000", "49100"],
        "population": 159_022,
    }


async def test_commune_by_code_with_its_town_hall(client: httpx.AsyncClient) -> None:
    # when
    data = await data_of(client, operation("Commune"), {"code": "49246"})
    # then
    assert data["commune"]["name"] == "Les Ponts-de-Cé"
    assert data["commune"]["townHall"] == {"code": "mairie-49246", "name": "Mairie des Ponts-de-Cé"}


async def test_commune_outside_alm_is_null(client: httpx.AsyncClient) -> None:
    # when: Saumur is in Maine-et-Loire but not in ALM
    data = await data_of(client, operation("Commune"), {"code": "49328"})
    # then
    assert data["commune"] is None


@pytest.mark.parametrize(
    ("latitude", "longitude", "expected"),
    [
        (47.4712, -0.5502, "49007"),  # Hôtel de ville d'Angers
        (47.42528, -0.52417, "49246"),  # Mairie des Ponts-de-Cé
        (47.38, -0.64278, "49028"),  # Béhuard, a village on an island in the Loire
    ],
)
async def test_commune_at_a_real_place(
    client: httpx.AsyncClient, latitude: float, longitude: float, expected: str
) -> None:
    # when
    data = await data_of(
        client, operation("CommuneAt"), {"latitude": latitude, "longitude": longitude}
    )
    # then
    assert data["communeAt"]["errors"] == []
    assert data["communeAt"]["commune"]["code"] == expected


async def test_commune_at_a_point_outside_alm_is_null_without_error(
    client: httpx.AsyncClient,
) -> None:
    # when: the Loire at Chalonnes-sur-Loire, downstream of ALM
    data = await data_of(client, operation("CommuneAt"), {"latitude": 47.351, "longitude": -0.762})
    # then
    assert data["communeAt"] == {"commune": None, "errors": []}


@pytest.mark.parametrize(
    ("language", "message"),
    [
        ("fr", "La latitude doit être un nombre compris entre -90 et 90 degrés."),
        ("en-GB,en;q=0.8", "The latitude must be a number between -90 and 90 degrees."),
        ("es", "La latitud debe ser un número entre -90 y 90 grados."),
        ("de-AT", "Der Breitengrad muss eine Zahl zwischen -90 und 90 Grad sein."),
        ("ar-MA", "يجب أن يكون خط العرض عددًا بين ‎-90 و90 درجة."),
    ],
)
async def test_invalid_coordinates_get_a_typed_error_in_the_callers_language(
    client: httpx.AsyncClient, language: str, message: str
) -> None:
    # when
    response = await graphql(
        client, operation("CommuneAt"), {"latitude": 123.0, "longitude": -0.55}, language=language
    )
    # then
    result = response.json()["data"]["communeAt"]
    assert result["commune"] is None
    assert len(result["errors"]) == 1
    assert result["errors"][0] == {
        "field": "latitude",
        "code": "LATITUDE_OUT_OF_RANGE",
        "message": message,
    }


async def test_both_coordinates_invalid_give_two_errors(client: httpx.AsyncClient) -> None:
    # when
    data = await data_of(client, operation("CommuneAt"), {"latitude": -91.0, "longitude": 181.0})
    # then
    codes = [(e["field"], e["code"]) for e in data["communeAt"]["errors"]]
    assert codes == [("latitude", "LATITUDE_OUT_OF_RANGE"), ("longitude", "LONGITUDE_OUT_OF_RANGE")]


async def test_bodies_are_alm_its_directorates_and_29_town_halls(
    client: httpx.AsyncClient,
) -> None:
    # when
    data = await data_of(client, operation("Bodies"))
    # then
    bodies = data["bodies"]
    kinds = [b["kind"] for b in bodies]
    assert kinds.count("METROPOLE") == 1
    assert kinds.count("COMMUNE") == 29
    assert kinds.count("DIRECTORATE") >= 4
    assert bodies[0]["code"] == "alm"  # ALM first, then its directorates, then town halls
    for body in bodies:
        if body["kind"] == "DIRECTORATE":
            assert body["parent"] == {"code": "alm"}
        if body["kind"] == "COMMUNE":
            assert body["commune"]["code"] == body["code"].removeprefix("mairie-")
    towns = {b["commune"]["code"] for b in bodies if b["kind"] == "COMMUNE"}
    communes = await data_of(client, operation("Communes"))
    assert towns == {c["code"] for c in communes["communes"]}
