"""GraphiQL served from the package's own copies (``static/vendor``, with their licences):
the demo's IDE works offline, and its page keeps a strict Content-Security-Policy."""

from __future__ import annotations

from functools import cache

from starlette.responses import HTMLResponse, Response

from service.web.rendering import STATIC_DIR, StaticVersions, environment

# GraphiQL's stylesheet embeds its fonts as data: URLs; nothing else is loosened.
IDE_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; font-src 'self' data:; "
    "img-src 'self' data:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'"
)


@cache
def _html() -> str:
    statics = StaticVersions(STATIC_DIR)
    return environment().get_template("graphiql.html").render(static=statics.url)


def graphiql_response() -> Response:
    return HTMLResponse(
        _html(),
        headers={
            "Content-Security-Policy": IDE_POLICY,
            "X-Content-Type-Options": "nosniff",
            "Referrer-Policy": "no-referrer",
        },
    )
