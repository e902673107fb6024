"""QR codes as inline SVG, made on the server (segno, pure Python): nothing to fetch, crisp
at any print size, no inline style (the CSP holds)."""

from __future__ import annotations

import functools
import io

import segno
from markupsafe import Markup


@functools.lru_cache(maxsize=512)  # a sign is printed again and again; encoding takes ms
def svg(url: str, label: str) -> Markup:
    """The QR code of ``url``, error correction M (a sign outdoors gets dirty), sized by CSS;
    ``label`` is its text alternative (escaped by segno)."""
    code = segno.make(url, error="m")
    buffer = io.BytesIO()
    code.save(
        buffer,
        kind="svg",
        xmldecl=False,
        svgns=True,
        nl=False,
        omitsize=True,
        svgclass="qr-code",
        lineclass=None,
        title=label,
    )
    # segno's own output, built from a URL we made: safe to embed as it is.
    return Markup(buffer.getvalue().decode("utf-8").replace("<svg ", '<svg role="img" ', 1))
