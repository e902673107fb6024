"""schemathesis hooks for CI's fuzz step (loaded with SCHEMATHESIS_HOOKS=.ci/fuzz_checks.py).

What the fuzzer must never see, whatever it sends: a 5xx, or a GraphQL error masked as
INTERNAL_ERROR (an exception nobody expected: a bug, logged by the server with its traceback).
Typed refusals (validation, NOT_AUTHENTICATED, FORBIDDEN, QUERY_TOO_COSTLY, ...) are answers,
not failures: schemathesis's own GraphQL checks count any error with a path as a server error,
so CI runs this check alone.
"""

from __future__ import annotations

import json
import os
from typing import Any

import schemathesis

INTERNAL_ERROR = "INTERNAL_ERROR"


@schemathesis.check
def no_server_error(ctx: Any, response: Any, case: Any) -> None:
    """A 5xx status, or any GraphQL error whose extensions.code is INTERNAL_ERROR."""
    if response.status_code >= 500:
        raise AssertionError(f"HTTP {response.status_code}: {response.text[:300]!r}")
    try:
        payload = json.loads(response.content)
    except ValueError:
        return  # not JSON (a GraphiQL page, a 413...): nothing masked in it
    errors = payload.get("errors") if isinstance(payload, dict) else None
    for error in errors if isinstance(errors, list) else []:
        extensions = error.get("extensions") if isinstance(error, dict) else None
        if isinstance(extensions, dict) and extensions.get("code") == INTERNAL_ERROR:
            raise AssertionError(f"INTERNAL_ERROR at {error.get('path')}")


@schemathesis.hook
def before_call(ctx: Any, case: Any, **kwargs: Any) -> None:
    """Open311 POST requests carry the API key .ci/fuzz made (FUZZ_API_KEY), so the fuzzer
    reaches the submission rather than the 403 of a random key."""
    key = os.environ.get("FUZZ_API_KEY")
    if key and case.method.upper() == "POST" and isinstance(case.body, dict):
        if "service_code" in case.body:
            case.body["api_key"] = key
