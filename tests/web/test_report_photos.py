"""Photos with the report form, without JavaScript: a file input in a multipart post, kept
when the form comes back, and the follow page saying where each photo stands."""

from __future__ import annotations

import httpx
import pytest
from sqlmodel import select

from service.context import Services
from service.items.models import Item
from service.photos.models import Photo
from service.staff.models import Role
from tests.photos import files
from tests.photos.helpers import assert_no_metadata
from tests.support import staff
from tests.web.journeys import open_form, valid_report
from tests.web.support import hidden

pytestmark = pytest.mark.anyio


async def post_with_photos(
    client: httpx.AsyncClient, fields: dict[str, str], *photos: bytes
) -> httpx.Response:
    return await client.post(
        "/signaler?lang=en",
        data=fields,
        files=[("photo", (f"IMG_{n}.HEIC", data, "image/heic")) for n, data in enumerate(photos)],
    )


async def photos_of_key(services: Services, key: str) -> list[Photo]:
    async with services.db.reading() as session:
        item = (await session.exec(select(Item).where(Item.idempotency_key == key))).one()
        statement = select(Photo).where(Photo.item_id == item.id).order_by(Photo.position)
        return list((await session.exec(statement)).all())


async def test_the_form_has_a_file_input_and_is_sent_as_multipart(
    client: httpx.AsyncClient,
) -> None:
    # when
    page = await client.get("/signaler?lang=en")
    # then
    assert 'enctype="multipart/form-data"' in page.text
    assert 'type="file"' in page.text and 'name="photo"' in page.text
    assert "Photos (optional)" in page.text


async def test_a_report_sent_with_two_photos_keeps_them_pending_and_the_follow_page_says_so(
    client: httpx.AsyncClient, services: Services
) -> None:
    # given
    _, fields = await open_form(client, "/signaler?lang=en")
    # when the form is sent with a phone's photo and a PNG
    sent = await post_with_photos(
        client,
        {**fields, **valid_report()},
        files.jpeg_with_gps(),
        files.png_with_text_chunks(),
    )
    # then one report with two clean pending photos
    assert sent.status_code == 303, sent.text
    stored = await photos_of_key(services, fields["idempotency_key"])
    assert [p.status for p in stored] == ["pending", "pending"]
    for photo in stored:
        data = services.photo_store.get(photo.id, "full")
        assert data is not None
        assert_no_metadata(data)
    # and the follow page says they await review, showing none of them yet
    confirmation = await client.get(sent.headers["location"])
    follow_link = confirmation.text.split('href="/suivi?jeton=')[1].split('"')[0]
    follow = await client.get(f"/suivi?jeton={follow_link}&lang=en".replace("&amp;", "&"))
    assert follow.text.count("Awaiting review") == 2
    assert "<img" not in follow.text.split('id="photos"')[1].split("</ul>")[0]
    # when staff approve the first one, the follow page shows it
    agent = await staff(services, client, "alm-voirie", Role.AGENT)
    await agent.data("PhotoApprove", {"photoId": stored[0].id})
    follow = await client.get(f"/suivi?jeton={follow_link}&lang=en".replace("&amp;", "&"))
    assert f'src="/media/{stored[0].id}.small.jpg?v=1"' in follow.text


async def test_a_refused_form_keeps_its_photos_and_a_bad_file_is_shown_beside_the_input(
    client: httpx.AsyncClient, services: Services
) -> None:
    # given a form missing its description, with a good photo and a PDF renamed .jpg
    _, fields = await open_form(client, "/signaler?lang=en")
    refused = await post_with_photos(
        client,
        {**fields, **valid_report(description="")},
        files.jpeg_with_gps(),
        files.pdf_named_jpg(),
    )
    # then the form comes back with both errors, and the good photo kept as a hidden id
    assert refused.status_code == 400
    assert "not a photo we can read" in refused.text
    kept = hidden(refused.text, "photo_upload")
    assert kept
    # when the resident completes the description and sends it again, without the files
    again = await client.post(
        "/signaler?lang=en",
        data={**fields, **valid_report(), "photo_upload": kept},
        files=[("photo", ("", b"", "application/octet-stream"))],
    )
    # then the report has the photo received the first time
    assert again.status_code == 303, again.text
    [photo] = await photos_of_key(services, fields["idempotency_key"])
    assert photo.id == kept
