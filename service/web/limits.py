"""The API's per-origin limits, applied to the pages in the same buckets and with the API's
message: a form that creates something counts as a submission (as ``reportCreate``), any
other action as a request (as ``trackedFeedback``)."""

from __future__ import annotations

from starlette.requests import Request

from service.errors import DomainError
from service.graphql_endpoint import too_many_requests
from service.integrations.ratelimit import request_key, submission_key
from service.web.forms import FormErrorCode
from service.web.rendering import Web


def origin_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def over_limit(web: Web, request: Request, *, submission: bool) -> DomainError | None:
    """The refusal to show when this origin is over its limit, else None (and counted)."""
    services = web.services
    limiter = services.rate_limiter
    origin = limiter.origin(origin_address(request))
    settings = services.settings
    if submission:
        key, limit = submission_key(origin), settings.anonymous_submissions_per_minute
    else:
        key, limit = request_key(origin), settings.anonymous_requests_per_minute
    wait = limiter.hit(key, limit)
    if not wait:
        return None
    refusal = too_many_requests(wait)
    return DomainError(FormErrorCode.RATE_LIMITED, refusal.message, **refusal.params)
