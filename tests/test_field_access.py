"""Every root field declares its access on itself; the checks made before execution are derived
from those declarations; a staff permission is one check, whoever calls it."""

from __future__ import annotations

import pytest

from service import field_access
from service.errors import DomainError
from service.field_access import Access, AccessTable, Audience, root_access
from service.schema import build_schema
from service.settings import Settings
from service.staff.models import Role
from service.staff.permissions import (
    ANY_STAFF,
    CLIENT_ADMINISTRATION,
    ITEM_READ,
    ITEM_WRITE,
    StaffPermission,
)
from service.staff.rules import StaffIdentity

SCHEMA = build_schema(Settings())


def test_every_root_field_declares_its_access() -> None:
    undeclared = sorted(name for name, access in root_access(SCHEMA).items() if access is None)
    assert undeclared == [], f"declare metadata=field_access.…() on {', '.join(undeclared)}"


def test_declarations_are_consistent() -> None:
    for name, access in root_access(SCHEMA).items():
        assert access is not None
        # staff fields name the permission their resolver checks, and only they do
        assert (access.audience is Audience.STAFF) == (access.staff is not None), name
        # nothing for staff is opened to API clients, nor shared through the public cache
        if access.audience is Audience.STAFF:
            assert access.scope is None and not access.cacheable, name
        # only queries of public data are cached; only submissions count as such
        if access.cacheable:
            assert access.audience is Audience.ANYONE and not access.submits, name


def test_the_tables_are_derived_from_the_declarations() -> None:
    table = AccessTable.of(SCHEMA)
    # public reads, cacheable or not
    assert table.scope_of("communes") == "public:read"
    assert table.is_public_read("{ communes { code } }", None)
    assert not table.is_public_read("{ sensors { totalCount } }", None)
    # staff work and client management: closed to every API client
    everything = frozenset({"public:read", "items:write", "items:follow", "opendata:read"})
    closed = frozenset({"triageQueue", "auditLog", "apiClients", "itemTransition"})
    assert table.missing_scopes(closed, everything) == sorted(closed)
    # submissions are counted as such; reads and staff work are not
    assert table.submits(frozenset({"reportCreate"}))
    assert not table.submits(frozenset({"reports", "itemTransition"}))
    # introspection is always open
    assert table.missing_scopes(frozenset({"__schema", "__typename"}), frozenset()) == []


def test_a_new_field_without_declaration_is_closed_and_never_cached() -> None:
    table = AccessTable({"communes": Access(Audience.ANYONE, "public:read", cacheable=True)})
    assert table.missing_scopes(frozenset({"somethingNew"}), frozenset({"public:read"})) == [
        "somethingNew"
    ]
    assert not table.is_public_read("{ somethingNew }", None)


def test_the_metadata_helpers_say_what_they_declare() -> None:
    assert field_access.submission()[field_access.ACCESS].submits
    assert field_access.staff(ITEM_WRITE)[field_access.ACCESS].staff is ITEM_WRITE
    assert field_access.public(scope=None)[field_access.ACCESS].scope is None


def identity(
    role: Role, body: str = "angers", scopes: frozenset[str] | None = None
) -> StaffIdentity:
    if scopes is None:
        return StaffIdentity(staff_id=1, name="A", body_code=body, role=role, via="session")
    return StaffIdentity(
        staff_id=1, name="A", body_code=body, role=role, via="token", scopes=scopes
    )


@pytest.mark.parametrize(
    ("permission", "caller", "code"),
    [
        (ITEM_READ, None, "NOT_AUTHENTICATED"),
        (ITEM_READ, identity(Role.AGENT), None),
        (ITEM_READ, identity(Role.COUNCIL), "FORBIDDEN"),
        (ITEM_WRITE, identity(Role.AGENT, scopes=frozenset({"items:read"})), "FORBIDDEN"),
        (ANY_STAFF, identity(Role.COUNCIL), None),
        (CLIENT_ADMINISTRATION, identity(Role.ADMIN), "FORBIDDEN"),  # a commune's admin
        (CLIENT_ADMINISTRATION, identity(Role.ADMIN, body="alm"), None),
    ],
)
def test_a_staff_permission_is_one_check(
    permission: StaffPermission, caller: StaffIdentity | None, code: str | None
) -> None:
    if code is None:
        assert permission.require(caller) is caller
        assert permission.allows(caller)
        return
    with pytest.raises(DomainError) as refused:
        permission.require(caller)
    assert refused.value.code.value == code
    assert not permission.allows(caller)
