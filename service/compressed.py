"""Bodies rendered once and kept gzipped beside their bytes (the sensors' and the communes'
GeoJSON): compressed once, not on every request, and sent compressed to every client that
accepts it — a map page's largest asset, the 29 communes' outlines, is then a third of it."""

from __future__ import annotations

import gzip
from collections.abc import Mapping
from dataclasses import dataclass

from starlette.requests import Request
from starlette.responses import Response


@dataclass(frozen=True)
class Body:
    """A rendered body, its gzip and its entity tag (quoted)."""

    raw: bytes
    gzipped: bytes
    etag: str

    @classmethod
    def of(cls, raw: bytes, etag: str) -> Body:
        # mtime=0: the same bytes give the same gzip, whichever process made it.
        return cls(raw, gzip.compress(raw, compresslevel=9, mtime=0), etag)


def accepts_gzip(header: str | None) -> bool:
    """Whether Accept-Encoding allows gzip (``gzip;q=0`` refuses it)."""
    for part in (header or "").split(","):
        coding, _, params = part.strip().partition(";")
        if coding.strip().lower() in ("gzip", "x-gzip"):
            quality = params.strip().lower().removeprefix("q=")
            try:
                return params.strip() == "" or float(quality) > 0
            except ValueError:
                return False
    return False


def etag_matches(header: str | None, etag: str) -> bool:
    """If-None-Match uses the weak comparison (RFC 9110 §13.1.2): W/ prefixes are ignored."""
    if not header:
        return False
    if header.strip() == "*":
        return True
    bare = etag.removeprefix("W/")
    return any(tag.strip().removeprefix("W/") == bare for tag in header.split(","))


def body_response(
    request: Request, body: Body, media_type: str, headers: Mapping[str, str]
) -> Response:
    """``body`` gzipped when the client accepts it (under an entity tag of its own), else
    as it is; 304 when If-None-Match names the entity tag of what would be sent."""
    sent = {**headers, "ETag": body.etag}
    sent["Vary"] = ", ".join(v for v in (headers.get("Vary"), "Accept-Encoding") if v)
    if accepts_gzip(request.headers.get("accept-encoding")):
        sent["ETag"] = body.etag[:-1] + '-gzip"'
        sent["Content-Encoding"] = "gzip"
        content = body.gzipped
    else:
        sent["Content-Encoding"] = ""
        content = body.raw
    if not sent["Content-Encoding"]:
        del sent["Content-Encoding"]
    if etag_matches(request.headers.get("if-none-match"), sent["ETag"]):
        del sent["Content-Encoding"]
        return Response(status_code=304, headers=sent)
    return Response(content, media_type=media_type, headers=sent)
