"""The console's main menu: one entry per page, shown to the roles it serves. Pages added
later (staff accounts, audit log, exports...) append their entry here."""

from __future__ import annotations

from dataclasses import dataclass

from service.errors import N_
from service.staff.models import Role
from service.staff.permissions import ADMINISTRATION, ASSIGNING_ROLES, ITEM_ROLES

ALL_ROLES = frozenset(Role)


@dataclass(frozen=True)
class NavEntry:
    key: str  # the page's ``nav`` value, to mark the current entry
    path: str
    label: str  # a msgid
    roles: frozenset[Role] = ALL_ROLES


NAV_ENTRIES: list[NavEntry] = [
    NavEntry("queue", "/console", N_("Queue"), ITEM_ROLES),
    NavEntry("map", "/console/carte", N_("Map"), ITEM_ROLES),
    NavEntry("moderation", "/console/moderation", N_("Moderation"), ITEM_ROLES),
    NavEntry("escalations", "/console/retards", N_("Overdue"), ASSIGNING_ROLES),
    NavEntry("assisted", "/console/guichet", N_("For a resident"), ITEM_ROLES),
    NavEntry("help_places", "/console/lieux-aide", N_("Help places"), ITEM_ROLES),
    NavEntry("staff", "/console/equipe", N_("Staff accounts"), ADMINISTRATION.roles),
    NavEntry("audit", "/console/journal", N_("Audit log"), ADMINISTRATION.roles),
    NavEntry(
        "providers", "/console/equipe/connexion", N_("Sign-in providers"), ADMINISTRATION.roles
    ),
    NavEntry("security", "/console/securite", N_("Sign-in security")),
    NavEntry("tokens", "/console/jetons", N_("My access tokens")),
]


def entries_for(role: Role) -> list[NavEntry]:
    return [entry for entry in NAV_ENTRIES if role in entry.roles]
