"""Help named where a resident may be stuck, beyond the pages: on the printable sensor sign
(the nearest places, printed for a reader without a smartphone; the sign follows the
directory), and the map of the directory's page, an improvement over its list."""

from __future__ import annotations

import html
import re
import uuid

import httpx
import pytest

from service.context import Services
from service.staff.models import Role
from tests.help_places.test_help_place_api import place_input
from tests.sensors.support import create_sensor
from tests.support import PONTS_DE_CE_TOWN_HALL, staff

pytestmark = pytest.mark.anyio


async def test_the_sign_prints_the_nearest_help_places_and_follows_the_directory(
    services: Services, client: httpx.AsyncClient
) -> None:
    # given: a sensor in Les Ponts-de-Cé, its sign seen once
    member = await staff(services, client, "alm-voirie", Role.AGENT)
    sensor = await create_sensor(member, point=PONTS_DE_CE_TOWN_HALL)
    sign_path = f"/capteurs/{sensor['slug']}/panneau"
    before = await client.get(sign_path)
    before_text = html.unescape(before.text)
    # when: a help place opens right beside it
    keeper = await staff(services, client, "mairie-49246", Role.AGENT)
    name = f"Point numérique {uuid.uuid4().hex[:6]}"
    latitude, longitude = PONTS_DE_CE_TOWN_HALL
    entry = place_input(name=name, latitude=latitude, longitude=longitude, phone="02 41 00 00 01")
    saved = await keeper.data("HelpPlaceSave", {"input": entry})
    assert saved["helpPlaceSave"]["errors"] == []
    after = await client.get(sign_path, headers={"accept-language": "de"})
    after_text = html.unescape(after.text)
    # then: the sign names it first, with its phone, and where to find all the places
    assert before.status_code == after.status_code == 200
    assert name not in before_text
    assert "Pas de smartphone, ou besoin d'aide ?" in before_text
    assert "Kein Smartphone oder brauchen Sie Hilfe?" in after_text
    section = after_text.split('class="sheet-help"')[1]
    assert section.index(name) < section.index("</ul>")
    assert "02 41 00 00 01" in section
    assert "/aide-numerique?commune=49246" in section


async def test_the_directory_page_carries_a_map_that_the_list_stands_for(
    services: Services, client: httpx.AsyncClient
) -> None:
    # when
    page = await client.get("/aide-numerique?commune=49007", headers={"accept-language": "en"})
    # then: the map is hidden until its script runs, and reads the directory's GeoJSON
    assert page.status_code == 200
    assert 'id="map" class="map" hidden role="region"' in page.text
    assert 'aria-label="Map of the help places (the list gives the same places)"' in page.text
    assert 'data-places="/help-places.geojson?commune=49007"' in page.text
    [script] = re.findall(r'<script src="(/static/help_map\.js[^"]*)"', page.text)
    assert "leaflet.js" in page.text
    assert (await client.get(script)).status_code == 200
