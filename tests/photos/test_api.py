"""Photos through the served API: upload (idempotent), attach to a report, moderation, what
the public may see, and erasure."""

from __future__ import annotations

import os
import stat
import uuid
from typing import Any

import httpx
import pytest
from sqlmodel import select

from service.context import Services
from service.photos.models import Photo
from service.privacy.transparency import transparency_report
from service.staff.models import AuditEntry, Role
from tests.photos import files
from tests.photos.helpers import assert_no_metadata
from tests.service_requests.support import bulky_waste_input, request_service
from tests.support import data_of, graphql, operation, staff, submit_report

pytestmark = pytest.mark.anyio


REPORTS_WITH_PHOTOS = (
    "query($first: Int) { reports(first: $first) { edges { node { photos { id } } } } }"
)


async def upload(
    client: httpx.AsyncClient,
    data: bytes,
    key: str | None = None,
    *,
    language: str = "en",
    headers: dict[str, str] | None = None,
) -> httpx.Response:
    return await client.post(
        "/media/uploads",
        content=data,
        headers={
            "content-type": "image/jpeg",
            "idempotency-key": key or f"photo-{uuid.uuid4()}",
            "accept-language": language,
            **(headers or {}),
        },
    )


async def uploaded_id(client: httpx.AsyncClient, data: bytes | None = None) -> str:
    response = await upload(client, data or files.jpeg_with_gps())
    assert response.status_code == 201, response.text
    photo_id: str = response.json()["uploadId"]
    return photo_id


async def report_with_photos(
    client: httpx.AsyncClient, *photo_ids: str, **overrides: Any
) -> dict[str, Any]:
    payload = await submit_report(client, photoUploadIds=list(photo_ids), **overrides)
    assert payload["errors"] == [], payload
    return payload


async def public_report(client: httpx.AsyncClient, reference: str) -> dict[str, Any]:
    data = await data_of(client, operation("Report"), {"reference": reference})
    report: dict[str, Any] = data["report"]
    return report


async def photo_rows(services: Services) -> list[Photo]:
    async with services.db.reading() as session:
        return list((await session.exec(select(Photo))).all())


async def test_an_upload_is_stored_as_private_files_without_metadata_under_a_random_name(
    client: httpx.AsyncClient, services: Services
) -> None:
    # when a phone sends a photo with its GPS position
    response = await upload(client, files.jpeg_with_gps((4000, 3000)))
    # then
    assert response.status_code == 201
    body = response.json()
    assert (body["width"], body["height"]) == (2000, 1500)  # decoded at half size
    stored = sorted(services.settings.photos_dir.rglob("*.jpg"))
    assert [p.name for p in stored] == sorted(
        f"{body['uploadId']}.{variant}.jpg" for variant in ("full", "small")
    )
    for path in stored:
        assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
        assert stat.S_IMODE(os.stat(path.parent).st_mode) == 0o700
        assert_no_metadata(path.read_bytes())


async def test_a_retry_with_the_same_key_after_a_dropped_connection_stores_one_photo(
    fresh_running: tuple[Services, httpx.AsyncClient],
) -> None:
    services, client = fresh_running
    photo = files.jpeg_with_gps()
    # given an upload whose answer never reached the phone
    first = await upload(client, photo, "retry-key-0001")
    # when the phone sends it again, twice, with the same key
    second = await upload(client, photo, "retry-key-0001")
    third = await upload(client, photo, "retry-key-0001")
    # then one photo, the same id every time
    assert first.status_code == 201
    assert second.status_code == third.status_code == 200
    assert second.json()["replayed"] is True
    assert first.json()["uploadId"] == second.json()["uploadId"] == third.json()["uploadId"]
    assert len(await photo_rows(services)) == 1
    assert len(list(services.settings.photos_dir.rglob("*.jpg"))) == 2
    # and the report retried with the same key and photo is one report
    report_input = {
        "idempotencyKey": "report-retry-0001",
        "photoUploadIds": [first.json()["uploadId"]],
    }
    once = await submit_report(client, **report_input)
    again = await submit_report(client, **report_input)
    assert once["errors"] == again["errors"] == []
    assert once["report"]["reference"] == again["report"]["reference"]


async def test_the_same_key_with_other_bytes_is_refused(client: httpx.AsyncClient) -> None:
    # given
    await upload(client, files.jpeg_with_gps(), "reused-key-0001")
    # when
    response = await upload(client, files.png_with_text_chunks(), "reused-key-0001")
    # then
    assert response.status_code == 409
    assert [e["code"] for e in response.json()["errors"]] == ["IDEMPOTENCY_KEY_REUSED"]


@pytest.mark.parametrize(
    ("data", "status", "code"),
    [
        (files.png_bomb(), 400, "TOO_MANY_PIXELS"),
        (files.truncated_jpeg(), 400, "DAMAGED_FILE"),
        (files.pdf_named_jpg(), 415, "UNSUPPORTED_TYPE"),
        (files.html_polyglot(), 415, "UNSUPPORTED_TYPE"),
        (b"", 400, "EMPTY_FILE"),
    ],
    ids=["bomb", "truncated", "pdf", "polyglot", "empty"],
)
async def test_every_bad_file_is_a_typed_error_in_the_readers_language(
    client: httpx.AsyncClient, services: Services, data: bytes, status: int, code: str
) -> None:
    # when
    response = await upload(client, data, language="fr")
    # then
    assert response.status_code == status
    errors = response.json()["errors"]
    assert len(errors) == 1 and errors[0]["code"] == code
    english = services.translator("en").gettext(errors[0]["message"])
    assert errors[0]["message"] != "" and english  # a message a person reads
    assert not list(services.settings.photos_dir.rglob("*.jpg"))


async def test_a_photo_over_the_size_limit_is_refused_before_it_is_read(
    client: httpx.AsyncClient, services: Services
) -> None:
    # when 12 MB are sent (the limit is 10 MB)
    response = await upload(client, b"\xff\xd8\xff" + b"\x00" * 12_000_000)
    # then
    assert response.status_code == 413
    assert "10" in response.text


async def test_a_pending_photo_is_shown_to_no_public_answer_until_staff_approve_it(
    client: httpx.AsyncClient, services: Services
) -> None:
    # given a report with a photo
    photo_id = await uploaded_id(client)
    payload = await report_with_photos(client, photo_id)
    reference, token = payload["report"]["reference"], payload["trackingToken"]
    # then the public sees no photo: the report, the list, the file itself
    assert (await public_report(client, reference))["photos"] == []
    listed = await data_of(client, REPORTS_WITH_PHOTOS, {"first": 50})
    # (other tests of the session publish photos of their own reports: this one must be absent)
    public_ids = {p["id"] for edge in listed["reports"]["edges"] for p in edge["node"]["photos"]}
    assert photo_id not in public_ids
    assert (await client.get(f"/media/{photo_id}.jpg")).status_code == 404
    assert (await client.get(f"/media/{photo_id}.small.jpg")).status_code == 404
    assert (await client.get(f"/media/staff/{photo_id}.jpg")).status_code == 404
    # and the resident reads that it awaits review
    tracked = await data_of(client, operation("Tracked"), {"token": token}, language="fr")
    [mine] = tracked["tracked"]["item"]["photos"]
    assert mine["status"] == "PENDING" and mine["url"] is None
    assert mine["statusLabel"] == services.translator("fr").gettext("Awaiting review")
    # when the handling body's agent approves it
    agent = await staff(services, client, "alm-voirie", Role.AGENT)
    approved = await agent.data("PhotoApprove", {"photoId": photo_id})
    # then the public sees it, served with an ETag and a long cache
    assert approved["photoApprove"]["errors"] == []
    [public] = (await public_report(client, reference))["photos"]
    assert public["status"] == "APPROVED"
    served = await client.get(public["url"])
    assert served.status_code == 200
    assert served.headers["content-type"] == "image/jpeg"
    assert "immutable" in served.headers["cache-control"]
    assert_no_metadata(served.content)
    again = await client.get(public["url"], headers={"if-none-match": served.headers["etag"]})
    assert again.status_code == 304


async def test_a_hidden_photo_leaves_every_public_answer_and_the_resident_reads_why(
    client: httpx.AsyncClient, services: Services
) -> None:
    # given an approved photo
    photo_id = await uploaded_id(client)
    payload = await report_with_photos(client, photo_id)
    reference, token = payload["report"]["reference"], payload["trackingToken"]
    agent = await staff(services, client, "alm-voirie", Role.AGENT)
    await agent.data("PhotoApprove", {"photoId": photo_id})
    # when the agent hides it
    hidden = await agent.data("PhotoHide", {"photoId": photo_id, "reason": "A face is visible."})
    # then
    assert hidden["photoHide"]["photo"]["status"] == "HIDDEN"
    assert (await public_report(client, reference))["photos"] == []
    assert (await client.get(f"/media/{photo_id}.jpg")).status_code == 404
    tracked = await data_of(client, operation("Tracked"), {"token": token}, language="en")
    [mine] = tracked["tracked"]["item"]["photos"]
    assert (mine["statusLabel"], mine["hiddenReason"]) == (
        "Hidden by moderation",
        "A face is visible.",
    )
    # and staff still see their copy, behind their token
    staff_copy = await client.get(
        f"/media/staff/{photo_id}.jpg", headers={"authorization": f"Bearer {agent.token}"}
    )
    assert staff_copy.status_code == 200
    assert staff_copy.headers["cache-control"] == "private, no-store"


async def test_another_body_cannot_moderate_or_see_a_photo(
    client: httpx.AsyncClient, services: Services
) -> None:
    # given a photo of a pothole in Angers (ALM's roads)
    photo_id = await uploaded_id(client)
    await report_with_photos(client, photo_id)
    other = await staff(services, client, "mairie-49246", Role.AGENT)
    # when another body's agent tries
    answer = await other.data("PhotoApprove", {"photoId": photo_id})
    copy = await client.get(
        f"/media/staff/{photo_id}.jpg", headers={"authorization": f"Bearer {other.token}"}
    )
    # then
    assert [e["code"] for e in answer["photoApprove"]["errors"]] == ["NOT_FOUND"]
    assert copy.status_code == 404


async def test_rotation_and_blur_change_the_copies_and_are_audited(
    client: httpx.AsyncClient, services: Services
) -> None:
    # given an approved landscape photo
    photo_id = await uploaded_id(client)
    await report_with_photos(client, photo_id)
    agent = await staff(services, client, "alm-voirie", Role.AGENT)
    await agent.data("PhotoApprove", {"photoId": photo_id})
    # when the agent turns it and blurs a plate
    turned = await agent.data("PhotoRotate", {"photoId": photo_id, "degrees": 90})
    rectangle = {"left": 0.1, "top": 0.1, "width": 0.3, "height": 0.2}
    blurred = await agent.data("PhotoBlur", {"photoId": photo_id, "rectangle": rectangle})
    refused = await agent.data("PhotoRotate", {"photoId": photo_id, "degrees": 45})
    # then
    photo = turned["photoRotate"]["photo"]
    assert (photo["width"], photo["height"]) == (900, 1200)
    assert blurred["photoBlur"]["errors"] == []
    assert [e["code"] for e in refused["photoRotate"]["errors"]] == ["INVALID_ROTATION"]
    store = services.photo_store
    assert store.get(photo_id, "public") != store.get(photo_id, "full")
    async with services.db.reading() as session:
        rows = (await session.exec(select(AuditEntry.action, AuditEntry.detail))).all()
    acts = [action for action, detail in rows if detail and detail.startswith(photo_id)]
    assert sorted(acts) == ["photo.approve", "photo.blur", "photo.rotate"]


async def test_a_submission_refuses_unknown_and_too_many_photos(client: httpx.AsyncClient) -> None:
    # given four uploads
    ids = [await uploaded_id(client) for _ in range(4)]
    # when
    unknown = await submit_report(client, photoUploadIds=["no-such-upload-000000"])
    too_many = await submit_report(client, photoUploadIds=ids)
    used = await report_with_photos(client, ids[0])
    twice = await submit_report(client, photoUploadIds=[ids[0]])
    # then
    assert [e["code"] for e in unknown["errors"]] == ["UNKNOWN_UPLOAD"]
    assert [e["code"] for e in too_many["errors"]] == ["TOO_MANY_PHOTOS"]
    assert used["errors"] == []
    assert [e["code"] for e in twice["errors"]] == ["UNKNOWN_UPLOAD"]


async def test_an_erased_items_photos_are_gone_from_the_database_and_the_storage(
    client: httpx.AsyncClient, services: Services
) -> None:
    # given a report with two photos, one approved
    first, second = await uploaded_id(client), await uploaded_id(client)
    payload = await report_with_photos(client, first, second)
    agent = await staff(services, client, "alm-voirie", Role.AGENT)
    await agent.data("PhotoApprove", {"photoId": first})
    # when the resident erases their data
    response = await graphql(client, operation("MyDataErase"), {"token": payload["trackingToken"]})
    # then
    assert response.json()["data"]["myDataErase"]["errors"] == []
    ids = {photo.id for photo in await photo_rows(services)}
    assert first not in ids and second not in ids
    for photo_id in (first, second):
        assert not list(services.settings.photos_dir.rglob(f"{photo_id}.*"))
    assert (await client.get(f"/media/{first}.jpg")).status_code == 404


async def test_a_service_request_carries_photos_and_the_resident_can_add_one_later(
    client: httpx.AsyncClient, services: Services
) -> None:
    # given a bulky-waste request with a photo of the items
    first = await uploaded_id(client)
    payload = await request_service(client, bulky_waste_input(photoUploadIds=[first]))
    assert payload["errors"] == [], payload
    token = payload["trackingToken"]
    # when the resident adds information with another photo, then tries two more
    second, third, fourth = [await uploaded_id(client) for _ in range(3)]
    added = await data_of(
        client,
        operation("TrackedAddInformation"),
        {"token": token, "text": "Voici l'autre côté.", "photoUploadIds": [second]},
        language="en",
    )
    over = await data_of(
        client,
        operation("TrackedAddInformation"),
        {"token": token, "text": "Et encore.", "photoUploadIds": [third, fourth]},
        language="en",
    )
    # then the item has two photos awaiting review; the third and fourth are refused
    photos = added["trackedAddInformation"]["item"]["photos"]
    assert [(p["id"], p["status"]) for p in photos] == [(first, "PENDING"), (second, "PENDING")]
    assert [e["code"] for e in over["trackedAddInformation"]["errors"]] == ["TOO_MANY_PHOTOS"]


async def test_the_transparency_report_counts_the_photos(
    fresh_running: tuple[Services, httpx.AsyncClient],
) -> None:
    # given three photos on two reports: one published, one hidden, one erased with its item
    services, client = fresh_running
    published, hidden, erased = [await uploaded_id(client) for _ in range(3)]
    await report_with_photos(client, published, hidden)
    token = (await report_with_photos(client, erased))["trackingToken"]
    agent = await staff(services, client, "alm-voirie", Role.AGENT)
    await agent.data("PhotoApprove", {"photoId": published})
    await agent.data("PhotoHide", {"photoId": hidden, "reason": "Un visage."})
    await graphql(client, operation("MyDataErase"), {"token": token})
    # when
    async with services.db.reading() as session:
        report = await transparency_report(session, services.clock().year)
    # then
    assert (
        report["photosReceived"],
        report["photosPublished"],
        report["photosHidden"],
        report["photosErased"],
    ) == (2, 1, 1, 1)
