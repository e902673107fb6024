"""Each console action calls the very domain function its GraphQL mutation calls, and the
permission check is inside it: watched on ``service.staff.actions`` (and ``staff.rules`` for
tokens), both doors must reach the same function, and a refusal must come out of it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest

from service.context import Services
from service.staff import actions
from service.staff import rules as staff_rules
from service.staff.models import Role
from tests.console.support import Browser, new_item, signed_in

pytestmark = pytest.mark.anyio


class Watch:
    """Wraps a module's function: records each call and its outcome, then delegates."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, module: Any, name: str) -> None:
        self.calls: list[str] = []
        original: Callable[..., Any] = getattr(module, name)

        async def watched(*args: Any, **kwargs: Any) -> Any:
            try:
                result = await original(*args, **kwargs)
            except Exception as error:
                self.calls.append(f"refused {getattr(error, 'code', error)!s}")
                raise
            self.calls.append("done")
            return result

        monkeypatch.setattr(module, name, watched)


async def graphql(client: httpx.AsyncClient, token: str, document: str, **variables: Any) -> Any:
    response = await client.post(
        "/graphql",
        json={"query": document, "variables": variables},
        headers={"authorization": f"Bearer {token}"},
    )
    body = response.json()
    assert "errors" not in body, body
    return body["data"]


async def token_of(services: Services, browser: Browser) -> str:
    async with services.db.writing() as session:
        _, token = await staff_rules.create_access_token(
            session, browser.staff_id, "same", ["items:read", "items:write"], services.clock()
        )
    return token


ITEM = "mutation($r: String!) { %s(reference: $r%s) { errors { code } } }"
# action's function -> (the mutation and its arguments, the console's path and form, role)
CASES: dict[str, tuple[str, str, str, dict[str, str], Role]] = {
    "acknowledge": ("itemAcknowledge", "", "prise-en-charge", {}, Role.AGENT),
    "transition": (
        "itemTransition",
        ', status: IN_PROGRESS, publicAnswer: "Vu."',
        "statut",
        {"status": "in_progress", "answer": "Vu."},
        Role.AGENT,
    ),
    "annotate": (
        "itemAnswer",
        ', privateNote: "n"',
        "statut",
        {"status": "", "note": "n"},
        Role.AGENT,
    ),
    "reject": ("itemReject", ', reason: "Non."', "rejet", {"reason": "Non."}, Role.AGENT),
    "assign": ("itemAssign", "", "attribution", {"assignee": "nobody"}, Role.AGENT),
    "reroute": (
        "itemReroute",
        ', categoryCode: "noise"',
        "reacheminement",
        {"category": "noise"},
        Role.SUPERVISOR,
    ),
    "mark_duplicate": (
        "itemMarkDuplicate",
        ', originalReference: "{o}"',
        "doublon",
        {"original": "{o}"},
        Role.AGENT,
    ),
}


@pytest.mark.parametrize("function", list(CASES))
async def test_each_console_action_calls_the_function_of_its_mutation(
    client: httpx.AsyncClient, services: Services, monkeypatch: pytest.MonkeyPatch, function: str
) -> None:
    # given
    mutation, arguments, path, form, role = CASES[function]
    browser = await signed_in(services, client, role=role)
    token = await token_of(services, browser)
    watch = Watch(monkeypatch, actions, function)
    through_api, through_console = await new_item(client), await new_item(client)
    original = await new_item(client)
    # when
    document = ITEM % (mutation, arguments.replace("{o}", original))
    data = await graphql(client, token, document, r=through_api)
    response = await browser.post(
        f"/console/dossiers/{through_console}/{path}",
        f"console-item-{path}",
        {k: v.replace("{o}", original) for k, v in form.items()},
    )
    # then
    assert next(iter(data.values()))["errors"] == []
    assert response.status_code == 303
    assert watch.calls == ["done", "done"]


async def test_a_refusal_comes_out_of_the_shared_function_for_both_doors(
    client: httpx.AsyncClient, services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given: an agent may not re-route
    browser = await signed_in(services, client)
    token = await token_of(services, browser)
    watch = Watch(monkeypatch, actions, "reroute")
    reference = await new_item(client)
    # when
    data = await graphql(
        client, token, ITEM % ("itemReroute", ', categoryCode: "noise"'), r=reference
    )
    response = await browser.post(
        f"/console/dossiers/{reference}/reacheminement",
        "console-item-reacheminement",
        {"category": "noise"},
    )
    # then
    assert data["itemReroute"]["errors"] == [{"code": "FORBIDDEN"}]
    assert response.status_code == 403
    assert watch.calls == ["refused StaffErrorCode.FORBIDDEN"] * 2


async def test_reading_a_contact_and_opening_an_item_share_their_functions(
    client: httpx.AsyncClient, services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given
    browser = await signed_in(services, client)
    token = await token_of(services, browser)
    reads = Watch(monkeypatch, actions, "read_item_contact")
    opens = Watch(monkeypatch, actions, "open_item")
    reference = await new_item(client)
    # when
    contact = await graphql(
        client,
        token,
        "mutation($r: String!) { itemContact(reference: $r) { errors { code } } }",
        r=reference,
    )
    page = await browser.post(f"/console/dossiers/{reference}/contact", "console-contact-read", {})
    opens.calls.clear()  # reading a contact opens the item too
    item = await graphql(
        client,
        token,
        "query($r: String!) { staffItem(reference: $r) { item { description } errors { code } } }",
        r=reference,
    )
    shown = await browser.get(f"/console/dossiers/{reference}")
    # then
    assert contact["itemContact"]["errors"] == [] and page.status_code == 200
    assert reads.calls == ["done", "done"]
    assert item["staffItem"]["errors"] == [] and shown.status_code == 200
    assert opens.calls == ["done", "done"]


async def test_access_tokens_are_created_and_revoked_by_the_same_rules(
    client: httpx.AsyncClient, services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given
    browser = await signed_in(services, client)
    token = await token_of(services, browser)
    creates = Watch(monkeypatch, staff_rules, "create_access_token")
    revokes = Watch(monkeypatch, staff_rules, "revoke_access_token")
    # when
    created = await graphql(
        client,
        token,
        'mutation { staffAccessTokenCreate(name: "api", scopes: ["items:read"]) '
        "{ accessToken { id } errors { code } } }",
    )
    page = await browser.post(
        "/console/jetons", "console-token-create", {"name": "console", "scopes": "items:read"}
    )
    refused = await browser.post(
        "/console/jetons", "console-token-create", {"name": "", "scopes": "everything"}
    )
    token_id = created["staffAccessTokenCreate"]["accessToken"]["id"]
    await graphql(
        client,
        token,
        "mutation($i: ID!) { staffAccessTokenRevoke(id: $i) { errors { code } } }",
        i=token_id,
    )
    revoked = await browser.post(
        "/console/jetons/revocation", "console-token-revoke", {"id": token_id}
    )
    # then
    assert page.status_code == 200 and "alm_pat_" in page.text
    assert refused.status_code == 400
    assert "Give the token a name of at most 100 characters." in refused.text
    assert "Choose scopes among" in refused.text
    assert creates.calls == ["done", "done", "refused 2 validation error(s)"]
    assert revoked.status_code == 303
    assert revokes.calls == ["done", "done"]
