"""The authorization matrix: every staff operation, driven through the real API by every kind
of caller, on an item of commune A (Angers). Refusals are typed errors, never silent nulls;
commune B never reaches commune A's items, notes, contacts or audit log."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest

from service.context import Services
from service.integrations import rules as api_clients
from service.staff import rules
from service.staff.models import Role, StaffUser
from tests.console.support import (
    Browser,
    new_item,
    provider_made,
    provider_signed_in,
    signed_in,
)
from tests.support import report_input, submit_report

pytestmark = pytest.mark.anyio

CONTACT = {
    "email": "resident@example.org",
    "followUpConsent": True,
    "consentTextVersion": "2026-01",
}
OK, ANON, FORBID, MISSING = "ok", "NOT_AUTHENTICATED", "FORBIDDEN", "NOT_FOUND"
NOT_PUBLIC = "NOT_PUBLIC"
SCOPE = "INSUFFICIENT_SCOPE"

# operation -> (GraphQL document, variables given the item's reference)
OPERATIONS: dict[str, tuple[str, Any]] = {
    "queue": (
        "{ triageQueue(first: 100, order: NEWEST_FIRST) { edges { node { reference } } } }",
        lambda r: {},
    ),
    "acknowledge": (
        "mutation($r: String!) { itemAcknowledge(reference: $r) { errors { code } } }",
        lambda r: {"r": r},
    ),
    "note": (
        'mutation($r: String!) { itemAnswer(reference: $r, privateNote: "n") { errors { code } } }',
        lambda r: {"r": r},
    ),
    "reject": (
        'mutation($r: String!) { itemReject(reference: $r, reason: "no") { errors { code } } }',
        lambda r: {"r": r},
    ),
    "reroute": (
        'mutation($r: String!) { itemReroute(reference: $r, categoryCode: "noise") '
        "{ errors { code } } }",
        lambda r: {"r": r},
    ),
    "contact": (
        "mutation($r: String!) { itemContact(reference: $r) { errors { code } } }",
        lambda r: {"r": r},
    ),
    "audit": (
        "query($r: String) { auditLog(reference: $r) { entries { action } } }",
        lambda r: {"r": r},
    ),
    "assisted": (
        "mutation($i: AssistedReportCreateInput!) { assistedReportCreate(input: $i) "
        "{ errors { code } } }",
        lambda r: {"i": {k: v for k, v in report_input().items() if k != "channel"}},
    ),
    "templates": ("{ answerTemplates { code } }", lambda r: {}),
    # Every indicator (routing health included): staff and council; the public subset is
    # tested in tests/trends. Never an item nor a person, whoever asks.
    "trends": (
        '{ trends(period: {start: "2026-01-01", end: "2026-12-31"}) '
        "{ routing { items { suppressed } } } }",
        lambda r: {},
    ),
    "template save": (
        "mutation($i: AnswerTemplateSaveInput!) { answerTemplateSave(input: $i) "
        "{ errors { code } } }",
        lambda r: {"i": {"code": "matrix", "language": "fr", "title": "T", "text": "Merci."}},
    ),
    # Moderation: the handling body's staff who work items; never council nor integrators.
    "moderation queue": (
        "{ moderationQueue(first: 100) { entries { item { reference } } } }",
        lambda r: {},
    ),
    "moderate": (
        'mutation($r: String!) { itemModerate(reference: $r, action: HIDE, reason: "charte") '
        "{ errors { code } } }",
        lambda r: {"r": r},
    ),
    "takedown report": (
        '{ moderationReport(since: "2026-01-01T00:00:00Z", until: "2027-01-01T00:00:00Z") '
        "{ flagsReceived } }",
        lambda r: {},
    ),
    "escalations": ("{ triageEscalations(first: 5) { totalCount } }", lambda r: {}),
    "directory": ("{ staffDirectory { id } }", lambda r: {}),
    "invite": (
        "mutation($i: StaffInviteInput!) { staffInvite(input: $i) { errors { code } } }",
        lambda r: {
            "i": {
                "email": f"m-{uuid.uuid4().hex[:8]}@angers.fr",
                "name": "Matrix",
                "bodyCode": "mairie-49007",
                "role": "AGENT",
            }
        },
    ),
    "deactivate": (
        'mutation { staffDeactivate(id: "999999") { errors { code } } }',
        lambda r: {},
    ),
}
# Staff accounts: administrators only (ALM's for every body); an unknown account is NOT_FOUND
# to them, and their role is checked first for everyone else.
ACCOUNTS_OF_ADMINS = {"invite": OK, "deactivate": MISSING}
ACCOUNTS_REFUSED = {"invite": FORBID, "deactivate": FORBID}


EXPECTED: dict[str, dict[str, str]] = {
    "anonymous": dict.fromkeys(OPERATIONS, ANON) | {"trends": NOT_PUBLIC},
    # A tracking token opens one's own item through `tracked`, and nothing of staff.
    # (its bearer token is refused as a staff token before any resolver runs)
    "resident with a tracking token": dict.fromkeys(OPERATIONS, ANON),
    "agent of A": {
        "queue": OK,
        "acknowledge": OK,
        "note": OK,
        "reject": OK,
        "reroute": FORBID,
        "contact": OK,
        "audit": FORBID,
        "assisted": OK,
        "templates": OK,
        "template save": FORBID,
        "trends": OK,
        "moderation queue": OK,
        "moderate": OK,
        "takedown report": OK,
        "escalations": FORBID,
        "directory": OK,
    }
    | ACCOUNTS_REFUSED,
    # Outside one's bodies an item does not exist, whatever the role: NOT_FOUND comes first.
    "agent of B": {
        "queue": OK,
        "acknowledge": MISSING,
        "note": MISSING,
        "reject": MISSING,
        "reroute": MISSING,
        "contact": MISSING,
        "audit": FORBID,
        "assisted": OK,
        "templates": OK,
        "template save": FORBID,
        "trends": OK,
        "moderation queue": OK,
        "moderate": MISSING,
        "takedown report": OK,
        "escalations": FORBID,
        "directory": OK,
    }
    | ACCOUNTS_REFUSED,
    "ALM agent": {
        "queue": OK,
        "acknowledge": MISSING,
        "note": MISSING,
        "reject": MISSING,
        "reroute": MISSING,
        "contact": MISSING,
        "audit": FORBID,
        "assisted": OK,
        "templates": OK,
        "template save": FORBID,
        "trends": OK,
        "moderation queue": OK,
        "moderate": MISSING,
        "takedown report": OK,
        "escalations": FORBID,
        "directory": OK,
    }
    | ACCOUNTS_REFUSED,
    "supervisor of A": {
        "queue": OK,
        "acknowledge": OK,
        "note": OK,
        "reject": OK,
        "reroute": OK,
        "contact": OK,
        "audit": FORBID,
        "assisted": OK,
        "templates": OK,
        "template save": OK,
        "trends": OK,
        "moderation queue": OK,
        "moderate": OK,
        "takedown report": OK,
        "escalations": OK,
        "directory": OK,
    }
    | ACCOUNTS_REFUSED,
    "admin of A": {
        "queue": OK,
        "acknowledge": OK,
        "note": OK,
        "reject": OK,
        "reroute": OK,
        "contact": OK,
        "audit": OK,
        "assisted": OK,
        "templates": OK,
        "template save": OK,
        "trends": OK,
        "moderation queue": OK,
        "moderate": OK,
        "takedown report": OK,
        "escalations": OK,
        "directory": OK,
    }
    | ACCOUNTS_OF_ADMINS,
    "ALM admin": {
        "queue": OK,
        "acknowledge": MISSING,
        "note": MISSING,
        "reject": MISSING,
        "reroute": MISSING,
        "contact": MISSING,
        "audit": OK,
        "assisted": OK,
        "templates": OK,
        "template save": OK,
        "trends": OK,
        "moderation queue": OK,
        "moderate": MISSING,
        "takedown report": OK,
        "escalations": OK,
        "directory": OK,
    }
    | ACCOUNTS_OF_ADMINS,
    "council member": dict.fromkeys(OPERATIONS, FORBID) | {"trends": OK},
    # An API client holding every scope: no scope opens staff work, notes, contacts or the
    # audit log, so each is refused before it runs; of trends, the public part only.
    "integrator": dict.fromkeys(OPERATIONS, SCOPE) | {"trends": NOT_PUBLIC},
}
EXPECTED["provider-made agent of A"] = EXPECTED["agent of A"]
EXPECTED["provider-made admin of A"] = EXPECTED["admin of A"]

WHO: dict[str, tuple[str, Role] | None] = {
    "anonymous": None,
    "resident with a tracking token": None,
    "agent of A": ("mairie-49007", Role.AGENT),
    "agent of B": ("mairie-49246", Role.AGENT),
    "ALM agent": ("alm", Role.AGENT),
    "supervisor of A": ("mairie-49007", Role.SUPERVISOR),
    "admin of A": ("mairie-49007", Role.ADMIN),
    # Accounts an OpenID provider's first sign-in made get exactly what local ones get.
    "provider-made agent of A": ("mairie-49007", Role.AGENT),
    "provider-made admin of A": ("mairie-49007", Role.ADMIN),
    "ALM admin": ("alm", Role.ADMIN),
    "council member": ("alm", Role.COUNCIL),
    "integrator": None,
}


async def token_for(services: Services, body: str, role: Role, made: bool = False) -> str:
    if made:  # an account an OpenID provider's first sign-in made
        user, _ = await provider_made(services, body, role)
        assert user.id is not None
        async with services.db.writing() as session:
            _, token = await rules.create_access_token(
                session, user.id, "matrix", sorted(rules.TOKEN_SCOPES), services.clock()
            )
        return token
    async with services.db.writing() as session:
        # Callers here use access tokens: an unusable password hash keeps the test fast.
        user = StaffUser(
            email=f"{uuid.uuid4().hex[:10]}@angers.fr",
            name="M",
            body_code=body,
            role=role.value,
            password_hash="!",
            created_at=services.clock(),
        )
        session.add(user)
        await session.flush()
        assert user.id is not None
        _, token = await rules.create_access_token(
            session,
            user.id,
            "matrix",
            ["items:read", "items:write", "staff:read", "staff:write"],
            services.clock(),
        )
    return token


def outcome(name: str, body: dict[str, Any], reference: str) -> str:
    if body.get("errors"):
        return str(body["errors"][0]["extensions"]["code"])
    data = next(iter(body["data"].values()))
    if isinstance(data, list):  # a plain list (templates): readable
        return OK
    if data.get("errors"):
        return str(data["errors"][0]["code"])
    if name == "queue":  # the item must be there for its body, and only there
        found = {e["node"]["reference"] for e in data["edges"]}
        return OK if reference in found else "not in queue"
    return OK


@pytest.mark.parametrize("who", list(EXPECTED))
async def test_every_caller_gets_exactly_what_its_role_allows(
    client: httpx.AsyncClient, services: Services, who: str
) -> None:
    # given
    member = WHO[who]
    made = who.startswith("provider-made")
    headers = (
        {"authorization": f"Bearer {await token_for(services, *member, made=made)}"}
        if member
        else {}
    )
    if who == "resident with a tracking token":
        tracking = (await submit_report(client, categoryCode="graffiti"))["trackingToken"]
        headers = {"authorization": f"Bearer {tracking}"}
    if who == "integrator":
        async with services.db.writing() as session:
            _, key = await api_clients.create_api_client(
                session, f"matrix-{uuid.uuid4().hex[:8]}", services.clock(), api_clients.SCOPES
            )
        headers = {"authorization": f"Bearer {key}"}
    results: dict[str, str] = {}
    for name, (document, variables) in OPERATIONS.items():
        reference = (await submit_report(client, categoryCode="graffiti", contact=CONTACT))[
            "report"
        ]["reference"]  # a fresh item of commune A for each operation
        # when
        response = await client.post(
            "/graphql",
            json={"query": document, "variables": variables(reference)},
            headers=headers,
        )
        results[name] = outcome(name, response.json(), reference)
    # then
    expected = dict(EXPECTED[who])
    if expected["queue"] == OK and who in ("agent of B", "ALM agent", "ALM admin"):
        expected["queue"] = "not in queue"  # they may look, but A's item is not theirs
    assert results == expected


# The console: every route, by every kind of signed-in browser (or none), on a fresh item of
# commune A. Expected HTTP statuses: 200 shown, 303 done (or sent to sign in), 403 refused by
# role, 404 « not found » (another body's item).
SIGNED_OUT, SHOWN, DONE, REFUSED, NOT_FOUND = 303, 200, 303, 403, 404
# route -> (method, path given the item's reference, form, CSRF purpose)
CONSOLE_ROUTES: dict[str, tuple[str, str, dict[str, str], str]] = {
    "queue": ("GET", "/console", {}, ""),
    "map": ("GET", "/console/carte", {}, ""),
    "map points": ("GET", "/console/carte.json", {}, ""),
    "live rows": ("GET", "/console/nouveaux?depuis=0", {}, ""),
    "open by reference": ("GET", "/console/dossiers?reference={r}", {}, ""),
    "item": ("GET", "/console/dossiers/{r}", {}, ""),
    "contact confirmation": ("GET", "/console/dossiers/{r}/contact", {}, ""),
    "contact read": ("POST", "/console/dossiers/{r}/contact", {}, "console-contact-read"),
    "acknowledge": ("POST", "/console/dossiers/{r}/prise-en-charge", {}, "prise-en-charge"),
    "assign to me": (
        "POST",
        "/console/dossiers/{r}/attribution",
        {"assignee": "me"},
        "attribution",
    ),
    "answer": (
        "POST",
        "/console/dossiers/{r}/statut",
        {"status": "in_progress", "answer": "On s'en occupe.", "note": "n"},
        "statut",
    ),
    "reroute": (
        "POST",
        "/console/dossiers/{r}/reacheminement",
        {"category": "noise"},
        "reacheminement",
    ),
    "duplicate": ("POST", "/console/dossiers/{r}/doublon", {"original": "{o}"}, "doublon"),
    "reject": ("POST", "/console/dossiers/{r}/rejet", {"reason": "Hors compétence."}, "rejet"),
    "moderation": ("GET", "/console/moderation", {}, ""),
    "moderation item": ("GET", "/console/moderation/{r}", {}, ""),
    "moderate": (
        "POST",
        "/console/moderation/{r}",
        {"action": "hide", "reason": "Charte."},
        "console-moderation",
    ),
    "tokens": ("GET", "/console/jetons", {}, ""),
    "token create": (
        "POST",
        "/console/jetons",
        {"name": "script", "scopes": "items:read"},
        "console-token-create",
    ),
    "token revoke": (
        "POST",
        "/console/jetons/revocation",
        {"id": "999999"},
        "console-token-revoke",
    ),
    "sign out": ("POST", "/console/deconnexion", {}, "console-sign-out"),
}
# Supervisors' and administrators' pages, assisted submission, the export.
SUPERVISION_ROUTES: dict[str, tuple[str, str, dict[str, str], str]] = {
    "escalations": ("GET", "/console/retards", {}, ""),
    "audit log": ("GET", "/console/journal", {}, ""),
    "staff accounts": ("GET", "/console/equipe", {}, ""),
    "invite": (
        "POST",
        "/console/equipe",
        {"name": "Matrix", "email": "m-{r}@angers.fr", "body": "mairie-49007", "role": "agent"},
        "console-staff-invite",
    ),
    "deactivate": (
        "POST",
        "/console/equipe/desactivation",
        {"id": "999999"},
        "console-staff-deactivate",
    ),
    "set password": ("GET", "/console/invitation?token=not-a-link", {}, ""),
    "assisted": ("GET", "/console/guichet", {}, ""),
    "assisted report": ("GET", "/console/guichet/signalement", {}, ""),
    "export": ("GET", "/console/export.csv", {}, ""),
    "sign-in security": ("GET", "/console/securite", {}, ""),
    "sign-in providers": ("GET", "/console/equipe/connexion", {}, ""),
    "preauthorise": (
        "POST",
        "/console/equipe/connexion",
        {"provider": "none", "body": "mairie-49007", "role": "admin", "email": "x-{r}@angers.fr"},
        "console-oidc-preauthorise",
    ),
    "withdraw": (
        "POST",
        "/console/equipe/connexion/retrait",
        {"id": "999999"},
        "console-oidc-withdraw",
    ),
}
CONSOLE_ROUTES |= SUPERVISION_ROUTES
ITEM_ROUTES = (
    frozenset(CONSOLE_ROUTES)
    - frozenset(SUPERVISION_ROUTES)
    - {
        "queue",
        "map",
        "map points",
        "live rows",
        "open by reference",
        "moderation",
        "tokens",
        "token create",
        "token revoke",
        "sign out",
    }
)
ANYONE_SIGNED_IN = {
    "queue": SHOWN,
    "map": SHOWN,
    "map points": SHOWN,
    "live rows": SHOWN,
    "moderation": SHOWN,
    "open by reference": DONE,  # to the item's page, which decides
    "tokens": SHOWN,
    "token create": SHOWN,  # the new secret, shown once
    "token revoke": NOT_FOUND,  # nobody's token 999999
    "sign out": DONE,
}
OF_A = (
    ANYONE_SIGNED_IN
    | dict.fromkeys(ITEM_ROUTES, DONE)
    | {
        "item": SHOWN,
        "contact confirmation": SHOWN,
        "contact read": SHOWN,
        "moderation item": SHOWN,
    }
)
# Administrators: their accounts and log; supervisors too: the overdue; anyone working items:
# assisted submission and the export. The page of a password link needs no session (an
# unknown link is « not found » to anyone).
SIGNED_IN_B = {
    "escalations": REFUSED,
    "audit log": REFUSED,
    "staff accounts": REFUSED,
    "invite": REFUSED,
    "deactivate": REFUSED,
    "set password": NOT_FOUND,
    "assisted": SHOWN,
    "assisted report": SHOWN,
    "export": SHOWN,
    "sign-in security": SHOWN,
    "sign-in providers": REFUSED,
    "preauthorise": REFUSED,
    "withdraw": REFUSED,
}
SUPERVISOR_B = SIGNED_IN_B | {"escalations": SHOWN}
ADMIN_B = SUPERVISOR_B | {
    "audit log": SHOWN,
    "staff accounts": SHOWN,
    "invite": SHOWN,  # the page with the new link
    "deactivate": NOT_FOUND,  # nobody's account 999999
    "sign-in providers": SHOWN,
    "preauthorise": 400,  # no such provider: the form again, with the refusal
    "withdraw": NOT_FOUND,  # nobody's authorisation 999999
}
OUTSIDE_B = dict.fromkeys(SUPERVISION_ROUTES, SIGNED_OUT) | {"set password": NOT_FOUND}
CONSOLE_EXPECTED: dict[str, dict[str, int]] = {
    "anonymous": dict.fromkeys(CONSOLE_ROUTES, SIGNED_OUT) | OUTSIDE_B,
    # A tracking token opens the resident's own item on /suivi, nothing of the console.
    "resident with a tracking token": dict.fromkeys(CONSOLE_ROUTES, SIGNED_OUT) | OUTSIDE_B,
    "agent of A": OF_A | {"reroute": REFUSED} | SIGNED_IN_B,
    "agent of B": ANYONE_SIGNED_IN | dict.fromkeys(ITEM_ROUTES, NOT_FOUND) | SIGNED_IN_B,
    "ALM agent": ANYONE_SIGNED_IN | dict.fromkeys(ITEM_ROUTES, NOT_FOUND) | SIGNED_IN_B,
    "supervisor of A": OF_A | SUPERVISOR_B,
    "admin of A": OF_A | ADMIN_B,
    "provider-made agent of A": OF_A | {"reroute": REFUSED} | SIGNED_IN_B,
    "provider-made admin of A": OF_A | ADMIN_B,
    "ALM admin": ANYONE_SIGNED_IN | dict.fromkeys(ITEM_ROUTES, NOT_FOUND) | ADMIN_B,
    # Council members read trends: no queue, no item, no contact; their own tokens only.
    "council member": ANYONE_SIGNED_IN
    | {
        "queue": REFUSED,
        "map": REFUSED,
        "map points": REFUSED,
        "live rows": REFUSED,
        "moderation": REFUSED,
    }
    | dict.fromkeys(ITEM_ROUTES, REFUSED)
    | SIGNED_IN_B
    | {"assisted": REFUSED, "assisted report": REFUSED, "export": REFUSED},
    # An integrator's key is no console session.
    "integrator": dict.fromkeys(CONSOLE_ROUTES, SIGNED_OUT) | OUTSIDE_B,
}


@pytest.mark.parametrize("who", list(CONSOLE_EXPECTED))
async def test_every_console_route_answers_each_caller_as_its_role_allows(
    client: httpx.AsyncClient, services: Services, who: str
) -> None:
    # given
    member = WHO[who]
    header: dict[str, str] = {}
    if who == "resident with a tracking token":
        tracking = (await submit_report(client, categoryCode="graffiti"))["trackingToken"]
        header = {"authorization": f"Bearer {tracking}"}
    if who == "integrator":
        async with services.db.writing() as session:
            _, key = await api_clients.create_api_client(
                session, f"matrix-{uuid.uuid4().hex[:8]}", services.clock(), api_clients.SCOPES
            )
        header = {"authorization": f"Bearer {key}"}
    results: dict[str, int] = {}
    for name, (method, path, form, purpose) in CONSOLE_ROUTES.items():
        # a fresh item of commune A (and its original), a fresh session for each route
        if name in SUPERVISION_ROUTES:  # no item needed (and none left nearby for the others)
            reference = original = uuid.uuid4().hex[:12]
        else:
            reference, original = await new_item(client), await new_item(client)
        if who.startswith("provider-made") and member:
            browser = await provider_signed_in(services, client, *member)
        else:
            browser = (
                await signed_in(services, client, *member)
                if member
                else Browser(services, client, 0)
            )
        url = path.format(r=reference)
        data = {k: v.format(o=original, r=reference) for k, v in form.items()}
        # when
        if method == "GET":
            response = await client.get(url, headers={**browser._headers(), **header})
        else:
            full = purpose if purpose.startswith("console-") else f"console-item-{purpose}"
            browser.client = client
            response = (
                await browser.post(url, full, data)
                if not header
                else await client.post(url, data=data, headers=header)
            )
        results[name] = response.status_code
    # then
    assert results == CONSOLE_EXPECTED[who]
