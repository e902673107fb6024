"""GET /sensors.geojson: an RFC 7946 FeatureCollection that a GeoJSON library reads, in
longitude-latitude order, cacheable with an ETag."""

from __future__ import annotations

from typing import Any

import geojson
import httpx
import pytest

from service.context import Services
from service.sensors.demo import load_demo_sensors
from service.staff.models import Role
from tests.sensors.support import FRATERNITE, create_sensor, staff

pytestmark = pytest.mark.anyio


def check_feature(feature: Any) -> None:
    """What a map library relies on, checked for one feature."""
    assert isinstance(feature, geojson.Feature)
    assert feature.is_valid, feature.errors()
    assert feature.geometry["type"] == "Point"
    longitude, latitude = feature.geometry["coordinates"]
    assert isinstance(longitude, float) and isinstance(latitude, float)
    # Angers Loire Métropole: longitude about -0.8 to -0.3, latitude about 47.3 to 47.7
    assert -0.8 < longitude < -0.3 and 47.3 < latitude < 47.7
    assert feature.properties["slug"] == feature["id"]


async def test_the_demo_register_opens_in_a_geojson_library(
    fresh_client: httpx.AsyncClient, fresh_services: Services
) -> None:
    # given: the example sensors of serve --demo
    created = await load_demo_sensors(fresh_services, fresh_services.clock())
    # when
    response = await fresh_client.get("/sensors.geojson")
    collection = geojson.loads(response.text)
    # then
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/geo+json"
    assert isinstance(collection, geojson.FeatureCollection) and collection.is_valid
    assert created == 5
    assert len(collection["features"]) == 4  # the removed one is off the map
    for feature in collection["features"]:
        check_feature(feature)
        assert feature.properties["isExample"] is True
    assert "CC BY 4.0" in collection["attribution"]
    fraternite = [
        f for f in collection["features"] if f.properties["placeName"] == "Place de la Fraternité"
    ]
    assert sorted(p for f in fraternite for p in f.properties["purposes"]) == [
        "mobility",
        "waste_management",
        "water_efficiency",
    ]
    # loading them again adds nothing
    assert await load_demo_sensors(fresh_services, fresh_services.clock()) == 0


async def test_coordinates_are_longitude_then_latitude(
    client: httpx.AsyncClient, services: Services
) -> None:
    # given
    agent = await staff(services, client, "alm-voirie", Role.AGENT)
    slug = (await create_sensor(agent))["slug"]
    # when
    collection = (await client.get("/sensors.geojson", headers={"accept-language": "en"})).json()
    # then
    feature = next(f for f in collection["features"] if f["id"] == slug)
    assert feature["geometry"]["coordinates"] == [FRATERNITE[1], FRATERNITE[0]]
    assert feature["properties"]["communeName"] == "Angers"
    names = [d["name"] for d in feature["properties"]["dtpr"]]
    assert "Retained 12 mois" in names


async def test_the_map_says_which_dtpr_names_are_alms_translation(
    client: httpx.AsyncClient, services: Services
) -> None:
    # given
    agent = await staff(services, client, "alm-voirie", Role.AGENT)
    slug = (await create_sensor(agent))["slug"]
    # when
    german = (await client.get("/sensors.geojson", headers={"accept-language": "de"})).json()
    french = (await client.get("/sensors.geojson", headers={"accept-language": "fr"})).json()
    # then
    dtpr = next(f for f in german["features"] if f["id"] == slug)["properties"]["dtpr"]
    assert "Induktionsschleife" in [d["name"] for d in dtpr]
    assert {(d["language"], d["translation"]) for d in dtpr} == {("de", "ADAPTED")}
    dtpr = next(f for f in french["features"] if f["id"] == slug)["properties"]["dtpr"]
    assert {(d["language"], d["translation"]) for d in dtpr} == {("fr", "OFFICIAL")}


async def test_an_unchanged_map_answers_304_and_a_change_a_new_etag(
    client: httpx.AsyncClient, services: Services
) -> None:
    # given
    first = await client.get("/sensors.geojson")
    etag = first.headers["etag"]
    # when
    again = await client.get("/sensors.geojson", headers={"if-none-match": etag})
    weak = await client.get("/sensors.geojson", headers={"if-none-match": f"W/{etag}"})
    agent = await staff(services, client, "alm-voirie", Role.AGENT)
    slug = (await create_sensor(agent))["slug"]
    changed = await client.get("/sensors.geojson", headers={"if-none-match": etag})
    await agent.data("SensorUpdate", {"input": {"slug": slug, "name": "Renamed"}})
    edited = await client.get(
        "/sensors.geojson", headers={"if-none-match": changed.headers["etag"]}
    )
    # then
    assert "max-age" in first.headers["cache-control"]
    assert again.status_code == 304 and again.content == b"" and again.headers["etag"] == etag
    assert weak.status_code == 304
    assert changed.status_code == 200 and changed.headers["etag"] != etag
    assert edited.status_code == 200 and "Renamed" in edited.text


async def test_removed_sensors_on_demand_and_a_bad_status_refused(
    client: httpx.AsyncClient, services: Services
) -> None:
    # given: a removed sensor
    agent = await staff(services, client, "alm-voirie", Role.AGENT)
    slug = (await create_sensor(agent, status="REMOVED"))["slug"]
    # when
    default = (await client.get("/sensors.geojson")).json()
    removed = (await client.get("/sensors.geojson?status=removed")).json()
    bad = await client.get("/sensors.geojson?status=hidden")
    # then
    assert slug not in [f["id"] for f in default["features"]]
    assert slug in [f["id"] for f in removed["features"]]
    assert bad.status_code == 400
