"""The GeoJSON the maps load is sent gzipped to a client that accepts it (compressed once,
under an entity tag of its own), and as it is to one that does not."""

from __future__ import annotations

import gzip
import json

import httpx
import pytest

pytestmark = pytest.mark.anyio


@pytest.mark.parametrize("path", ["/communes.geojson", "/sensors.geojson"])
async def test_the_maps_geojson_is_sent_gzipped_to_a_client_that_accepts_it(
    client: httpx.AsyncClient, path: str
) -> None:
    # when
    plain = await client.get(path, headers={"accept-encoding": "identity"})
    zipped = await client.get(path, headers={"accept-encoding": "gzip, deflate"})
    refused = await client.get(path, headers={"accept-encoding": "gzip;q=0"})
    # then: the same document, a third of the bytes or less for the communes' outlines
    assert "content-encoding" not in plain.headers
    assert "content-encoding" not in refused.headers
    assert zipped.headers["content-encoding"] == "gzip"
    assert zipped.json() == plain.json()
    assert "Accept-Encoding" in zipped.headers["vary"]
    assert zipped.headers["etag"] != plain.headers["etag"]
    async with client.stream("GET", path, headers={"accept-encoding": "gzip"}) as streamed:
        wire = b"".join([chunk async for chunk in streamed.aiter_raw()])
    assert json.loads(gzip.decompress(wire)) == plain.json()
    if path == "/communes.geojson":
        assert len(wire) < len(plain.content) / 2


async def test_a_gzipped_geojson_is_not_sent_again_to_a_client_that_holds_it(
    client: httpx.AsyncClient,
) -> None:
    # given
    first = await client.get("/communes.geojson", headers={"accept-encoding": "gzip"})
    # when
    again = await client.get(
        "/communes.geojson",
        headers={"accept-encoding": "gzip", "if-none-match": first.headers["etag"]},
    )
    plain = await client.get(
        "/communes.geojson",
        headers={"accept-encoding": "identity", "if-none-match": first.headers["etag"]},
    )
    # then: 304 for the same representation only
    assert again.status_code == 304
    assert plain.status_code == 200
