"""An item's photos in the console: listed on its page with their state, each with a page
to publish, hide (with a reason), turn or blur it — the rules of the photo mutations, for
staff of the handling body only; a wrong rectangle is refused beside its field."""

from __future__ import annotations

import re

import httpx
import pytest

from service.context import Services
from tests.console.support import CONTACT, signed_in
from tests.photos import files
from tests.photos.test_api import public_report, report_with_photos, uploaded_id

pytestmark = pytest.mark.anyio


async def _item_with_a_photo(client: httpx.AsyncClient) -> tuple[str, str]:
    photo_id = await uploaded_id(client, files.jpeg_with_gps())
    payload = await report_with_photos(client, photo_id, contact=CONTACT, categoryCode="graffiti")
    return str(payload["report"]["reference"]), photo_id


async def test_the_item_page_lists_its_photos_and_each_links_to_its_moderation(
    client: httpx.AsyncClient, services: Services
) -> None:
    # given
    agent = await signed_in(services, client)
    reference, photo_id = await _item_with_a_photo(client)
    # when
    page = await agent.get(f"/console/dossiers/{reference}")
    thumbnail = re.search(r'<img src="(/media/staff/[^"]+)"', page.text)
    assert thumbnail, "the item's page shows the photo"
    image = await agent.get(thumbnail.group(1).replace("&amp;", "&"))
    # then
    assert page.status_code == 200
    assert "Awaiting review: not public" in page.text
    assert f"/console/dossiers/{reference}/photos/{photo_id}" in page.text
    assert image.status_code == 200 and image.headers["content-type"] == "image/jpeg"


async def test_publishing_then_hiding_a_photo_changes_what_the_public_sees(
    client: httpx.AsyncClient, services: Services
) -> None:
    # given
    agent = await signed_in(services, client)
    reference, photo_id = await _item_with_a_photo(client)
    path = f"/console/dossiers/{reference}/photos/{photo_id}"
    # when: published
    published = await agent.post(f"{path}/publication", "console-photo-publication", {})
    shown = await agent.get(path, fait="publication")
    public_after_publishing = await public_report(client, reference)
    # then
    assert published.status_code == 303
    assert "The photo is public." in shown.text
    assert [p["id"] for p in public_after_publishing["photos"]] == [photo_id]
    # when: hidden without a reason, then with one
    refused = await agent.post(f"{path}/masquage", "console-photo-masquage", {"reason": " "})
    hidden = await agent.post(
        f"{path}/masquage", "console-photo-masquage", {"reason": "A face is recognisable."}
    )
    public_after_hiding = await public_report(client, reference)
    # then
    assert refused.status_code == 400
    assert 'id="field-reason-error"' in refused.text
    assert hidden.status_code == 303
    assert public_after_hiding["photos"] == []


async def test_a_blurred_rectangle_is_blurred_on_the_public_copy_only(
    client: httpx.AsyncClient, services: Services
) -> None:
    # given: a published photo (red scene)
    agent = await signed_in(services, client)
    reference, photo_id = await _item_with_a_photo(client)
    path = f"/console/dossiers/{reference}/photos/{photo_id}"
    await agent.post(f"{path}/publication", "console-photo-publication", {})
    staff_copy_before = services.photo_store.get(photo_id, "full")
    # when: a rectangle outside the photo, then the left half
    wrong = await agent.post(
        f"{path}/floutage",
        "console-photo-floutage",
        {"left": "80", "top": "0", "width": "50", "height": "100"},
    )
    blurred = await agent.post(
        f"{path}/floutage",
        "console-photo-floutage",
        {"left": "0", "top": "40", "width": "50", "height": "20"},
    )
    shown = await agent.get(path)
    # then
    assert wrong.status_code == 400
    assert 'id="field-left-error"' in wrong.text
    assert blurred.status_code == 303
    assert "with the blurred parts" in shown.text
    public = services.photo_store.get(photo_id, "public")
    assert public is not None and public != staff_copy_before
    assert services.photo_store.get(photo_id, "full") == staff_copy_before


async def test_another_bodys_agent_finds_no_such_photo(
    client: httpx.AsyncClient, services: Services
) -> None:
    # given
    stranger = await signed_in(services, client, body="mairie-49015")  # Avrillé
    reference, photo_id = await _item_with_a_photo(client)
    path = f"/console/dossiers/{reference}/photos/{photo_id}"
    # when
    page = await stranger.get(path)
    published = await stranger.post(f"{path}/publication", "console-photo-publication", {})
    # then
    assert page.status_code == 404
    assert published.status_code == 404
    assert (await public_report(client, reference))["photos"] == []
