"""Webhooks to the handling body carry signed links to the photos' staff copies only when the
resident agreed to share with the body (as for their contact)."""

from __future__ import annotations

import httpx
import pytest

from service.context import Services
from service.routing import delivery
from tests.photos.test_api import report_with_photos, uploaded_id
from tests.privacy.helpers import CONTACT
from tests.routing.test_delivery import Receiver, add_route, plan
from tests.routing.test_delivery import receiver as receiver  # PLC0414  (fixture)

pytestmark = pytest.mark.anyio


@pytest.mark.parametrize("shared", [True, False], ids=["share-consent", "no-share-consent"])
async def test_a_delivery_links_the_staff_copies_only_with_the_share_consent(
    fresh_running: tuple[Services, httpx.AsyncClient], receiver: Receiver, shared: bool
) -> None:
    # given a route to ALM's roads and a report with a photo, with or without the consent
    services, client = fresh_running
    await add_route(services.db, receiver.url)
    photo_id = await uploaded_id(client)
    contact = {**CONTACT, "shareWithHandlingBody": shared}
    await report_with_photos(client, photo_id, contact=contact)
    await plan(services.db, services.clock())
    # when the delivery is sent
    async with httpx.AsyncClient() as http:
        await delivery.send_due_deliveries(services.db, http, services.settings, services.clock())
    # then
    [request] = receiver.requests
    body = request.json()
    if not shared:
        assert "photos" not in body and photo_id not in request.body.decode()
        return
    [photo] = body["photos"]
    assert (photo["id"], photo["status"]) == (photo_id, "pending")
    served = await client.get(photo["url"])
    assert served.status_code == 200 and served.headers["content-type"] == "image/jpeg"
    assert served.headers["cache-control"] == "private, no-store"
    forged = photo["url"].rsplit("=", 1)[0] + "=not-a-signature"
    assert (await client.get(forged)).status_code == 404
    assert (await client.get(f"/media/shared/{photo_id}.jpg")).status_code == 404
