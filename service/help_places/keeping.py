"""Keeping a place, as the API and the console do it: the rules' save or delete, audited, in
one transaction (one code path for ``helpPlaceSave``/``helpPlaceDelete`` and the console)."""

from __future__ import annotations

from datetime import datetime

from service.db import Database
from service.help_places import rules
from service.help_places.models import HelpPlace
from service.invariants import required
from service.reference import ReferenceData
from service.staff import triage
from service.staff.rules import StaffIdentity


async def save_audited(
    db: Database,
    caller: StaffIdentity | None,
    entry: rules.PlaceInput,
    reference: ReferenceData,
    now: datetime,
) -> HelpPlace:
    async with db.writing() as session:
        place = await rules.save(session, caller, entry, reference, now)
        # save() refused anyone else: the caller is there.
        triage.audit(
            session, required(caller, "the staff member"), "help_place_saved", None, now, place.slug
        )
    return place


async def delete_audited(
    db: Database, caller: StaffIdentity | None, slug: str, reference: ReferenceData, now: datetime
) -> HelpPlace:
    async with db.writing() as session:
        place = await rules.delete(session, caller, slug, reference)
        # delete() refused anyone else: the caller is there.
        triage.audit(
            session,
            required(caller, "the staff member"),
            "help_place_deleted",
            None,
            now,
            place.slug,
        )
    return place


async def kept_places(
    db: Database, caller: StaffIdentity | None, reference: ReferenceData
) -> list[HelpPlace]:
    """The places the caller keeps (their bodies'; every one for ALM's administrators)."""
    identity = rules.require_keeper(caller)
    async with db.reading() as session:
        found = await rules.places(session, rules.Search(first=10_000), reference)
    return [f.place for f in found if rules.may_keep(identity, f.place.body_code, reference)]
