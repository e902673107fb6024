"""Open311 with photos: a ``media`` part in POST requests, ``media_url`` once approved only."""

from __future__ import annotations

import uuid

import httpx
import pytest
from sqlmodel import select

from service.context import Services
from service.photos.models import Photo
from service.staff.models import Role
from tests.integrations.clients import client_key
from tests.integrations.test_changes import read_all
from tests.integrations.test_open311 import V2, parse_xml
from tests.photos import files
from tests.photos.helpers import assert_no_metadata
from tests.photos.test_api import report_with_photos, uploaded_id
from tests.support import operation, staff

pytestmark = pytest.mark.anyio


def pothole_form(api_key: str, key: str) -> dict[str, str]:
    return {
        "api_key": api_key,
        "service_code": "pothole",
        "lat": "47.4712",
        "long": "-0.5502",
        "description": "Trou profond, photo jointe",
        "idempotency_key": key,
    }


async def test_a_media_part_is_processed_and_its_url_shown_only_once_approved(
    client: httpx.AsyncClient, services: Services, api_key: str
) -> None:
    # when an integrator posts a report with a photo carrying GPS
    posted = await client.post(
        f"{V2}/requests.json",
        data=pothole_form(api_key, "open311-media-0001"),
        files={"media": ("IMG_0042.jpg", files.jpeg_with_gps(), "image/jpeg")},
    )
    # then
    assert posted.status_code == 200, posted.text
    request_id = posted.json()[0]["service_request_id"]
    async with services.db.reading() as session:
        statement = select(Photo).where(Photo.upload_key == "open311-media-0001:media:0")
        [photo] = (await session.exec(statement)).all()
    assert "IMG_0042" not in str(photo.model_dump())
    # pending: no media_url in JSON nor XML
    record = (await client.get(f"{V2}/requests/{request_id}.json")).json()[0]
    assert record["media_url"] is None
    xml = parse_xml(await client.get(f"{V2}/requests/{request_id}.xml"))
    assert not xml.findtext("request/media_url")
    # when the handling body approves it
    agent = await staff(services, client, "alm-voirie", Role.AGENT)
    await agent.data("PhotoApprove", {"photoId": photo.id})
    # then media_url points at the public copy, which carries no metadata
    record = (await client.get(f"{V2}/requests/{request_id}.json")).json()[0]
    assert record["media_url"].startswith(f"http://testserver/media/{photo.id}.jpg")
    xml = parse_xml(await client.get(f"{V2}/requests/{request_id}.xml"))
    assert xml.findtext("request/media_url") == record["media_url"]
    served = await client.get(record["media_url"])
    assert served.status_code == 200
    assert_no_metadata(served.content)


async def test_a_retried_post_with_media_stores_one_photo_and_a_bad_file_is_a_400(
    client: httpx.AsyncClient, services: Services, api_key: str
) -> None:
    # given
    form = pothole_form(api_key, "open311-media-0002")
    media = {"media": ("photo.jpg", files.jpeg_with_gps(), "image/jpeg")}
    # when the same POST is sent twice, then one with a PDF named .jpg
    first = await client.post(f"{V2}/requests.json", data=form, files=media)
    second = await client.post(f"{V2}/requests.json", data=form, files=media)
    refused = await client.post(
        f"{V2}/requests.json",
        data=pothole_form(api_key, "open311-media-0003"),
        files={"media": ("photo.jpg", files.pdf_named_jpg(), "image/jpeg")},
    )
    # then
    assert first.json()[0]["service_request_id"] == second.json()[0]["service_request_id"]
    async with services.db.reading() as session:
        keys = (await session.exec(select(Photo.upload_key))).all()
    assert keys.count("open311-media-0002:media:0") == 1
    assert refused.status_code == 400
    assert "UNSUPPORTED_TYPE" in refused.text


async def test_search_the_change_feed_and_open_data_never_carry_a_pending_or_hidden_photo(
    client: httpx.AsyncClient, services: Services, api_key: str
) -> None:
    # given a report with a pending photo and one with a photo hidden after approval
    pending = await uploaded_id(client)
    hidden = await uploaded_id(client)
    description = f"Lampadaire couché photo {uuid.uuid4().hex[:8]}"
    await report_with_photos(client, pending, description=description)
    await report_with_photos(client, hidden, description=description)
    agent = await staff(services, client, "alm-voirie", Role.AGENT)
    await agent.data("PhotoApprove", {"photoId": hidden})
    await agent.data("PhotoHide", {"photoId": hidden, "reason": "Une plaque est lisible."})
    await services.search_indexer.catch_up()
    # when the public doors are read
    found = await client.post(
        "/graphql",
        json={"query": operation("Search"), "variables": {"query": description, "first": 20}},
    )
    changes, _ = await read_all(client, await client_key(services, ("opendata:read",)), None)
    opendata = await client.get("/opendata/items-by-category.json")
    open311 = await client.get(f"{V2}/requests.json")
    # then the reports are there, their photos nowhere
    assert found.json()["data"]["search"]["totalCount"] >= 2
    for answer in (found.text, str(changes), opendata.text, open311.text):
        assert pending not in answer and hidden not in answer
    for answer in (found.text, str(changes), opendata.text):  # no photo at all there
        assert "/media/" not in answer


async def test_a_multipart_post_without_its_boundary_is_a_400_not_a_server_error(
    client: httpx.AsyncClient, api_key: str
) -> None:
    # when a client sends a multipart body whose content type names no boundary (found by
    # the CI's fuzzing: it was a 500)
    posted = await client.post(
        f"{V2}/requests.json",
        content=f"api_key={api_key}&service_code=pothole".encode(),
        headers={"content-type": "multipart/form-data"},
    )
    # then a 400 in Open311's error shape says why
    assert posted.status_code == 400, posted.text
    [error] = posted.json()
    assert error["code"] == 400 and "multipart" in error["description"]
