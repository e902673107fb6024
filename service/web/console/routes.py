"""The console's routes, under ``/console`` (French paths, as the residents' pages). Every
one goes through ``auth.require_staff`` but the sign-in page itself. Other console pages
append their routes to the list ``console_routes`` returns."""

from __future__ import annotations

from starlette.routing import BaseRoute

from service.web.console import auth, home, tokens
from service.web.rendering import Web


def console_routes(web: Web) -> list[BaseRoute]:
    return [
        web.route(auth.SIGN_IN, auth.sign_in_page(web)),
        web.route(auth.SIGN_IN, auth.sign_in_post(web), "POST"),
        web.route(auth.SIGN_OUT, auth.sign_out_post(web), "POST"),
        web.route(auth.HOME, home.queue_page(web)),
        web.route(tokens.PATH, tokens.tokens_page(web)),
        web.route(tokens.PATH, tokens.create_post(web), "POST"),
        web.route(tokens.PATH + "/revocation", tokens.revoke_post(web), "POST"),
    ]
