"""Who may call each root field, declared on the field itself.

Every root field of ``Query`` and ``Mutation`` carries one ``Access`` in its strawberry
metadata::

    @strawberry.field(description="...", metadata=access.public(cacheable=True))

It says who the field is for (anyone, the holder of a tracking token, staff, an API client),
the scope that opens it to API clients (none: closed to them), the staff permission its
resolver checks (``service.staff.permissions``: the web pages call the same one), whether an
anonymous answer may be shared by the public response cache, and whether it counts as a
submission for the rate limits. What the HTTP layer checks before execution is derived from
these declarations (``AccessTable.of(schema)``), never from lists kept apart; a test fails
when a root field declares nothing.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

import strawberry
from graphql import FieldNode, OperationType

from service.selections import parsed, selected_operation
from service.staff.permissions import StaffPermission

ACCESS = "service.access"  # the metadata key


class Audience(enum.Enum):
    ANYONE = "anyone"  # residents, the public, staff and API clients alike
    TOKEN_HOLDER = "token holder"  # whoever holds an item's tracking token (or its code)
    STAFF = "staff"  # signed-in staff, as their permission says
    CLIENT = "client"  # an API client, for its own things (webhooks)


@dataclass(frozen=True)
class Access:
    """How one root field may be called."""

    audience: Audience
    # The scope that opens the field to API clients; None: closed to every API client.
    scope: str | None
    # The permission the resolver checks for staff (and the pages, for the same action).
    staff: StaffPermission | None = None
    # An anonymous answer is the same for everyone and may be shared for a few seconds.
    cacheable: bool = False
    # Counted against the submission limits (it makes the service store or send something).
    submits: bool = False
    # A second scope that opens the field too (public data a narrower key was made for).
    also: str | None = None

    def metadata(self) -> Mapping[str, Access]:
        return MappingProxyType({ACCESS: self})


PUBLIC_READ, ITEMS_WRITE, ITEMS_FOLLOW = "public:read", "items:write", "items:follow"


def public(
    scope: str | None = PUBLIC_READ, *, cacheable: bool = False, also: str | None = None
) -> Mapping[str, Access]:
    """Anyone may call it; API clients with ``scope`` or ``also`` (None: not API clients)."""
    return Access(Audience.ANYONE, scope, cacheable=cacheable, also=also).metadata()


def submission(scope: str = ITEMS_WRITE) -> Mapping[str, Access]:
    """Anyone may submit it; counted against the submission limits."""
    return Access(Audience.ANYONE, scope, submits=True).metadata()


def token_holder(scope: str = ITEMS_FOLLOW) -> Mapping[str, Access]:
    """Whoever holds the item's tracking token (the token is the check)."""
    return Access(Audience.TOKEN_HOLDER, scope).metadata()


def staff(permission: StaffPermission) -> Mapping[str, Access]:
    """Staff with ``permission`` (checked by the resolver); closed to API clients."""
    return Access(Audience.STAFF, None, staff=permission).metadata()


def client(scope: str) -> Mapping[str, Access]:
    """An API client with ``scope``, for its own things."""
    return Access(Audience.CLIENT, scope).metadata()


def declared(field: Any) -> Access | None:
    """The access a strawberry field declares, if any."""
    value = (getattr(field, "metadata", None) or {}).get(ACCESS)
    return value if isinstance(value, Access) else None


def root_access(schema: strawberry.Schema) -> dict[str, Access | None]:
    """Every root field of the schema by its GraphQL name, with what it declares."""
    found: dict[str, Access | None] = {}
    for root in ("Query", "Mutation"):
        definition = schema.get_type_by_name(root)
        for field in getattr(definition, "fields", ()):
            found[schema.config.name_converter.get_graphql_name(field)] = declared(field)
    return found


@dataclass(frozen=True)
class AccessTable:
    """The checks made before execution, derived from the root fields' declarations."""

    fields: Mapping[str, Access]

    @classmethod
    def of(cls, schema: strawberry.Schema) -> AccessTable:
        """A root field that declares nothing is closed to API clients and never cached
        (the test of declarations keeps that from happening)."""
        return cls({name: a for name, a in root_access(schema).items() if a is not None})

    def scope_of(self, name: str) -> str | None:
        declared = self.fields.get(name)
        return declared.scope if declared is not None else None

    def scopes_of(self, name: str) -> frozenset[str]:
        """Every scope that opens the field to API clients (none: closed to them)."""
        declared = self.fields.get(name)
        if declared is None:
            return frozenset()
        return frozenset(s for s in (declared.scope, declared.also) if s is not None)

    def missing_scopes(self, fields: frozenset[str], scopes: frozenset[str]) -> list[str]:
        """Root fields the scopes do not open (introspection and __typename are always
        open)."""
        return sorted(
            name
            for name in fields
            if not name.startswith("__") and self.scopes_of(name).isdisjoint(scopes)
        )

    def submits(self, fields: frozenset[str]) -> bool:
        """Whether an operation selecting these root fields submits something."""
        return any((a := self.fields.get(name)) is not None and a.submits for name in fields)

    def is_public_read(self, query: str, operation_name: str | None) -> bool:
        """Whether the operation is a query whose root fields are all cacheable public reads.

        The root's own selections only, no fragment opened: a document with fragments at
        the root is simply not cached (they could hide any field). (``__typename`` alone is
        not cached either: it is the benchmarks' measure of the bare stack.)
        """
        document = parsed(query)
        operation = selected_operation(document, operation_name) if document else None
        if operation is None or operation.operation is not OperationType.QUERY:
            return False
        return all(
            isinstance(s, FieldNode)
            and (a := self.fields.get(s.name.value)) is not None
            and a.cacheable
            for s in operation.selection_set.selections
        )
