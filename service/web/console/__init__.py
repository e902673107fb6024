"""The staff console (``/console``): sign in, the queue of my bodies, an item and every
action on it, my access tokens.

Built on the residents' web foundation (``service.web.rendering``, ``security``, ``forms``)
and on the same domain functions as the API: the queue is ``staff.triage.queue_rows`` and
``queue_counts``, every action is one of ``staff.actions`` (the GraphQL mutations call the
same ones), signing in is ``staff.rules.log_in`` with the API's login throttle.

Adding a console page:

- its route in ``routes.console_routes``, its endpoint wrapped by ``auth.require_staff`` (the
  endpoint receives a ``StaffPage``: the page and the signed-in identity), rendered with
  ``auth.render`` (private, with the menu), its forms checked with ``auth.posted_form`` (CSRF)
  and refusals shown with ``auth.refused`` (404 for NOT_FOUND, else 403);
- its template extends ``console/layout.html`` (blocks ``title``, ``head``, ``main``,
  ``scripts``);
- its menu entry appended to ``nav.NAV_ENTRIES`` (with the roles it serves);
- a queue filter: a reader in ``queue.EXTRA_FILTERS`` (query parameter -> how it narrows the
  ``QueueFilter``), its field in ``console/macros.html``'s ``filter_form``; a new
  ``QueueOrder`` member needs its label in ``queue.ORDER_LABELS``.
"""
