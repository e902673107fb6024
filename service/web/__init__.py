"""Pages for residents, served by the same process as the API (ARCHITECTURE §11).

HTML first: every page works without JavaScript (forms POST, then redirect with 303); scripts
only improve. Pages call the domain's ``rules`` (and the same validation and limits) as the
GraphQL resolvers do. ``routes.web_routes`` gives the Starlette routes; ``rendering`` the
Jinja2 environment and the per-request page context; ``security`` the headers and CSRF tokens.
"""
