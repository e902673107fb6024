"""The staff console (``/console``): sign in, the queue of my bodies, an item and every
action on it, my access tokens.

Built on the residents' web foundation (``service.web.rendering``, ``security``, ``forms``)
and on the same domain functions as the API: the queue is ``staff.triage.queue``, every action
is one of ``staff.actions`` (the GraphQL mutations call the same ones), signing in is
``staff.rules.log_in`` with the API's login throttle. ``auth.require_staff`` guards every
console route; ``nav.NAV_ENTRIES`` and ``routes.console_routes`` are the lists other console
pages join.
"""
