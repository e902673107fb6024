"""The console's « Help places »: staff keep their body's places with the API's operations
(same check, rules, messages, audit); another commune's place is not theirs to change."""

from __future__ import annotations

import uuid

import httpx
import pytest
from sqlmodel import select

from service.context import Services
from service.help_places.hours import parse_hours
from service.help_places.models import HelpPlace
from service.staff.models import AuditEntry, Role
from tests.console.support import signed_in
from tests.support import PONTS_DE_CE_TOWN_HALL

pytestmark = pytest.mark.anyio
PATH = "/console/lieux-aide"


def posted(slug: str, **overrides: object) -> dict[str, object]:
    return {
        "slug": slug,
        "name": "Espace numérique du centre social",
        "kind": "social_centre",
        "address": "3 rue de l'Essai, 49130 Les Ponts-de-Cé",
        "latitude": str(PONTS_DE_CE_TOWN_HALL[0]).replace(".", ","),
        "longitude": str(PONTS_DE_CE_TOWN_HALL[1]),
        "hours": "Mo-Fr 09:00-12:00,14:00-17:00; PH off",
        "offers": ["free_computer", "printing"],
        "languages": ["fr", "ar"],
        "phone": "02 41 00 00 02",
        **overrides,
    }


async def place(services: Services, slug: str) -> HelpPlace | None:
    async with services.db.reading() as session:
        return (await session.exec(select(HelpPlace).where(HelpPlace.slug == slug))).first()


async def test_an_agent_adds_changes_and_removes_a_place_of_their_body(
    services: Services, client: httpx.AsyncClient
) -> None:
    # given
    agent = await signed_in(services, client, "mairie-49246")
    slug = f"centre-{uuid.uuid4().hex[:8]}"
    form = await agent.get(PATH + "/fiche")
    assert form.status_code == 200 and 'name="hours"' in form.text
    # when: added with wrong hours, then right; changed; removed
    wrong = await agent.post(PATH + "/fiche", "console-help-place-save",
                             posted(slug, hours="tous les jours"))  # fmt: skip
    nothing = await place(services, slug)
    added = await agent.post(PATH + "/fiche", "console-help-place-save", posted(slug))
    listed = await agent.get(PATH)
    edit = await agent.get(PATH + "/fiche", lieu=slug)
    changed = await agent.post(
        PATH + "/fiche",
        "console-help-place-save",
        {**posted(slug, name="Espace numérique (rénové)"), "editing": slug},
    )
    saved = await place(services, slug)
    removed = await agent.post(PATH + "/suppression", "console-help-place-delete", {"slug": slug})
    # then
    assert wrong.status_code == 400 and "tous les jours" in wrong.text
    assert nothing is None
    assert added.status_code == 303 and listed.status_code == 200
    assert "Espace numérique du centre social" in listed.text
    assert edit.status_code == 200 and "Mo-Fr 09:00-12:00,14:00-17:00" in edit.text
    assert changed.status_code == 303
    assert saved is not None and saved.name == "Espace numérique (rénové)"
    assert saved.commune_code == "49246" and saved.body_code == "mairie-49246"
    assert saved.offers == "free_computer printing" and saved.languages == "ar fr"
    assert parse_hours(saved.hours).closed_on_public_holidays
    assert removed.status_code == 303 and await place(services, slug) is None
    async with services.db.reading() as session:
        actions = (
            await session.exec(
                select(AuditEntry.action).where(AuditEntry.staff_id == agent.staff_id)
            )
        ).all()
    assert actions.count("help_place_saved") == 2 and "help_place_deleted" in actions


async def test_another_communes_staff_neither_see_nor_change_the_place(
    services: Services, client: httpx.AsyncClient
) -> None:
    # given: a place of Les Ponts-de-Cé
    owner = await signed_in(services, client, "mairie-49246")
    slug = f"centre-{uuid.uuid4().hex[:8]}"
    assert (
        await owner.post(PATH + "/fiche", "console-help-place-save", posted(slug))
    ).status_code == 303
    other = await signed_in(services, client, "mairie-49007", Role.ADMIN)
    council = await signed_in(services, client, "alm", Role.COUNCIL)
    # when
    listed = await other.get(PATH)
    edit = await other.get(PATH + "/fiche", lieu=slug)
    changed = await other.post(
        PATH + "/fiche", "console-help-place-save", {**posted(slug, name="Pris"), "editing": slug}
    )
    removed = await other.post(PATH + "/suppression", "console-help-place-delete", {"slug": slug})
    council_page = await council.get(PATH)
    # then
    assert listed.status_code == 200 and slug not in listed.text
    assert edit.status_code == 404 and changed.status_code == 404
    assert removed.status_code == 403
    assert council_page.status_code == 403
    kept = await place(services, slug)
    assert kept is not None and kept.name == "Espace numérique du centre social"
