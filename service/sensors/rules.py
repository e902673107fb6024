"""Sensor register: the DTPR taxonomy, sensors created and edited by the staff accountable
for them (audited), the public list, and residents' questions routed on the items spine."""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import delete, func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from service.db import Database
from service.errors import N_, DomainError, ValidationFailed, raise_if_any
from service.inputs import refused_character
from service.items import rules as items
from service.items.models import Item, ItemKind
from service.items.submission import Submitted, store_once
from service.privacy import rules as privacy
from service.privacy.crypto import FieldCipher
from service.reference import ReferenceData
from service.routing.models import Competence
from service.routing.rules import RoutingDecision
from service.sensors import changes
from service.sensors.errors import SensorErrorCode
from service.sensors.models import (
    DtprCategory,
    DtprElement,
    DtprTranslation,
    Sensor,
    SensorElement,
    SensorQuestion,
    SensorStatus,
    TranslationSource,
)
from service.staff.models import Role
from service.staff.permissions import covered_bodies, forbidden, not_authenticated
from service.staff.rules import StaffIdentity
from service.staff.triage import audit
from service.territory.models import BodyKind
from service.territory.rules import coordinate_errors

SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
VARIABLE = re.compile(r"\{\{\s*(\w+)\s*\}\}")
URL = re.compile(r"^https?://[^\s/$.?#][^\s]*$", re.IGNORECASE)
MAX_NAME = 200
MAX_DESCRIPTION = 4_000
MAX_PLACE = 200
MAX_ANONYMISATION = 1_000
MAX_HOSTING = 300
MAX_URL = 500
MAX_ELEMENTS = 40
MAX_VARIABLE = 100
MAX_QUESTION = 4_000
MAX_NEAR_RADIUS_M = 5_000
METRES_PER_DEGREE = 111_320.0
EARTH_RADIUS_M = 6_371_000.0
TAXONOMY_LOCALES = ("fr", "en")  # the languages DTPR publishes; the others fall back fr -> en
MAX_TRANSLATION_NAME = 200

# ---------------------------------------------------------------------------- taxonomy


@dataclass(frozen=True)
class Localized:
    """A DTPR text in the language asked for, or in the one it fell back to, and who wrote it:
    DTPR (official, fr and en) or ALM adapting DTPR (the other languages)."""

    text: str
    language: str
    fallback: bool
    source: TranslationSource = TranslationSource.OFFICIAL


def localized(texts: dict[str, str], locale: str) -> Localized:
    """The text in ``locale`` if there is one, else French (ALM's language), else English."""
    for language in (locale, *TAXONOMY_LOCALES):
        if texts.get(language):
            source = (
                TranslationSource.OFFICIAL
                if language in TAXONOMY_LOCALES
                else TranslationSource.ADAPTED
            )
            return Localized(texts[language], language, language != locale, source)
    return Localized("", locale, False)


def least_official(*texts: Localized) -> TranslationSource:
    """ADAPTED as soon as one of the texts shown together is ALM's adaptation."""
    return least_official_of(t.source for t in texts)


def least_official_of(sources: Iterable[TranslationSource]) -> TranslationSource:
    """ADAPTED as soon as one source is; OFFICIAL for none at all."""
    if TranslationSource.ADAPTED in set(sources):
        return TranslationSource.ADAPTED
    return TranslationSource.OFFICIAL


def variables_of(*texts: str) -> list[str]:
    """The variables an element's texts name, e.g. ["duration"] for "Retained {{duration}}"."""
    found: list[str] = []
    for text in texts:
        for name in VARIABLE.findall(text):
            if name not in found:
                found.append(name)
    return found


def fill(text: str, values: dict[str, str]) -> str:
    """The text with its variables replaced by the sensor's values (unknown ones kept)."""
    return VARIABLE.sub(lambda m: values.get(m.group(1), m.group(0)), text)


@dataclass(frozen=True)
class Texts:
    """A category's or an element's name and description in every language there is."""

    names: dict[str, str]
    descriptions: dict[str, str]

    def name(self, locale: str) -> Localized:
        return localized(self.names, locale)

    def description(self, locale: str) -> Localized:
        return localized(self.descriptions, locale)


@dataclass(frozen=True)
class Taxonomy:
    categories: list[DtprCategory]
    elements: dict[tuple[str, str], DtprElement]
    # (category id, element id or "" for the category) -> language -> ALM's (name, description)
    translations: dict[tuple[str, str], dict[str, tuple[str, str]]] = field(default_factory=dict)

    def elements_of(self, category_id: str) -> list[DtprElement]:
        return sorted(
            (e for (c, _), e in self.elements.items() if c == category_id),
            key=lambda e: e.position,
        )

    def texts_of(self, row: DtprCategory | DtprElement) -> Texts:
        """DTPR's French and English, with ALM's adaptations in the languages loaded."""
        key = (row.id, "") if isinstance(row, DtprCategory) else (row.category_id, row.id)
        names = {"en": row.name_en, "fr": row.name_fr}
        descriptions = {"en": row.description_en, "fr": row.description_fr}
        for language, (name, description) in self.translations.get(key, {}).items():
            names[language] = name
            descriptions[language] = description
        return Texts(names, descriptions)


async def load_taxonomy(session: AsyncSession, locale: str | None = None) -> Taxonomy:
    """The taxonomy with ALM's translations into ``locale`` (none for fr, en or None: a
    page reads one language, and a sign is checked against the ids only)."""
    categories = (
        await session.exec(select(DtprCategory).order_by(col(DtprCategory.position)))
    ).all()
    elements = (await session.exec(select(DtprElement))).all()
    translations: dict[tuple[str, str], dict[str, tuple[str, str]]] = {}
    if locale is not None and locale not in TAXONOMY_LOCALES:
        rows = await session.exec(
            select(
                DtprTranslation.category_id,
                DtprTranslation.element_id,
                DtprTranslation.name,
                DtprTranslation.description,
            ).where(col(DtprTranslation.language) == locale)
        )
        for category_id, element_id, name, description in rows.all():
            translations[(category_id, element_id)] = {locale: (name, description)}
    return Taxonomy(list(categories), {(e.category_id, e.id): e for e in elements}, translations)


# Served with the taxonomy (CC BY 4.0 asks for it); the same as in fixtures/dtpr/taxonomy.json.
DTPR_ATTRIBUTION = (
    "DTPR taxonomy (c) Digital Trust for Places and Routines contributors, stewarded by "
    "Helpful Places — CC BY 4.0 — https://dtpr.io/"
)
DTPR_LICENSE = "CC BY 4.0"
DTPR_LICENSE_URL = "https://creativecommons.org/licenses/by/4.0/"
DTPR_SOURCE_URL = (
    "https://github.com/Helpful-Places/dtpr/tree/156971b5afc7255d245c43c8bc4958c7f8a74b59"
    "/app/content/dtpr.v1"
)


async def load_dtpr_fixtures(session: AsyncSession, fixtures_dir: Path) -> dict[str, int]:
    """Insert or update the DTPR categories and elements of fixtures/dtpr, and replace ALM's
    translations with those of fixtures/dtpr/translations (idempotent)."""
    data = json.loads((fixtures_dir / "dtpr" / "taxonomy.json").read_text(encoding="utf-8"))
    count = 0
    for position, category in enumerate(data["categories"]):
        await session.merge(
            DtprCategory(
                id=category["id"],
                position=position,
                name_en=category["name"]["en"],
                name_fr=category["name"]["fr"],
                description_en=category["description"]["en"],
                description_fr=category["description"]["fr"],
            )
        )
    await session.flush()
    for category in data["categories"]:
        for position, element in enumerate(category["elements"]):
            count += 1
            await session.merge(
                DtprElement(
                    category_id=category["id"],
                    id=element["id"],
                    position=position,
                    name_en=element["name"]["en"],
                    name_fr=element["name"].get("fr") or "",
                    description_en=element["description"]["en"],
                    description_fr=element["description"].get("fr") or "",
                )
            )
    await session.flush()
    translations = translation_rows(data, fixtures_dir / "dtpr" / "translations")
    await session.exec(delete(DtprTranslation))
    session.add_all(translations)
    await session.flush()
    return {
        "DTPR categories": len(data["categories"]),
        "DTPR elements": count,
        "DTPR translated texts": len(translations),
    }


def translation_rows(taxonomy: dict[str, Any], folder: Path) -> list[DtprTranslation]:
    """ALM's translations of the taxonomy, one file per language (es.json...), checked against
    DTPR's English: a text for an unknown category or element, an empty text or one whose
    {{variables}} differ from the English is refused (a fixture error, raised loudly)."""
    english: dict[tuple[str, str], tuple[str, str]] = {}
    for category in taxonomy["categories"]:
        english[(category["id"], "")] = (category["name"]["en"], category["description"]["en"])
        for element in category["elements"]:
            english[(category["id"], element["id"])] = (
                element["name"]["en"],
                element["description"]["en"],
            )
    rows: list[DtprTranslation] = []
    for path in sorted(folder.glob("*.json")) if folder.is_dir() else []:
        data = json.loads(path.read_text(encoding="utf-8"))
        language = data["language"]
        if language in TAXONOMY_LOCALES or language != path.stem:
            raise ValueError(f"{path.name}: language {language!r} does not fit this file")
        for category_id, category in data["categories"].items():
            texts = [((category_id, ""), category)]
            texts += [((category_id, e), v) for e, v in category.get("elements", {}).items()]
            for key, text in texts:
                if key not in english:
                    raise ValueError(f"{path.name}: no DTPR text {'/'.join(key)}")
                name, description = text.get("name", ""), text.get("description", "")
                where = f"{path.name}: {'/'.join(k for k in key if k)}"
                if not name.strip() or not description.strip():
                    raise ValueError(f"{where}: empty name or description")
                if len(name) > MAX_TRANSLATION_NAME:
                    raise ValueError(f"{where}: name longer than {MAX_TRANSLATION_NAME}")
                for mine, theirs in zip((name, description), english[key], strict=True):
                    if sorted(variables_of(mine)) != sorted(variables_of(theirs)):
                        raise ValueError(f"{where}: {{{{variables}}}} differ from the English")
                rows.append(
                    DtprTranslation(
                        category_id=key[0],
                        element_id=key[1],
                        language=language,
                        name=name,
                        description=description,
                    )
                )
    return rows


# ---------------------------------------------------------------------------- register


@dataclass(frozen=True)
class ElementChoice:
    category_id: str
    element_id: str
    variables: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class SensorFields:
    """What staff give when creating a sensor; when editing, None leaves a field as it is."""

    name: str | None = None
    description: str | None = None
    latitude: float | None = None
    longitude: float | None = None
    place_name: str | None = None
    accountable_body_code: str | None = None
    elements: list[ElementChoice] | None = None
    personal_data: bool | None = None
    anonymisation: str | None = None
    hosted_in_eu: bool | None = None
    hosting: str | None = None
    open_data_url: str | None = None
    status: SensorStatus | None = None
    planned_on: date | None = None
    installed_on: date | None = None
    removed_on: date | None = None


def not_found(slug: str) -> DomainError:
    return DomainError(
        SensorErrorCode.NOT_FOUND, N_("There is no sensor %(slug)s."), field="slug", slug=slug
    )


def _text_errors(
    value: str | None, field: str, maximum: int, required: bool = False
) -> list[DomainError]:
    return items.text_errors(value, field=field, maximum=maximum, required=required)


def slug_errors(slug: str) -> list[DomainError]:
    if 3 <= len(slug) <= 60 and SLUG.match(slug):
        return []
    return [
        DomainError(
            SensorErrorCode.INVALID_SLUG,
            N_("The slug must be 3 to 60 lower-case letters, digits and single hyphens."),
            field="slug",
        )
    ]


def field_errors(
    fields: SensorFields, reference: ReferenceData, taxonomy: Taxonomy, *, creating: bool
) -> list[DomainError]:
    """Everything wrong with the given fields, told at once."""
    errors = _text_errors(
        fields.name, "name", MAX_NAME, required=creating or fields.name is not None
    )
    errors += _text_errors(fields.description, "description", MAX_DESCRIPTION)
    errors += _text_errors(fields.place_name, "placeName", MAX_PLACE)
    errors += _text_errors(fields.anonymisation, "anonymisation", MAX_ANONYMISATION)
    errors += _text_errors(fields.hosting, "hosting", MAX_HOSTING)
    if (fields.latitude is None) != (fields.longitude is None) or (
        creating and fields.latitude is None
    ):
        errors += coordinate_errors(math.nan, math.nan)
    elif fields.latitude is not None and fields.longitude is not None:
        errors += coordinate_errors(fields.latitude, fields.longitude)
    body = fields.accountable_body_code
    if (creating and body is None) or (body is not None and body not in reference.bodies):
        errors.append(
            DomainError(
                SensorErrorCode.UNKNOWN_BODY,
                N_("There is no body %(body)s."),
                field="accountableBodyCode",
                body=body or "",
            )
        )
    if fields.open_data_url and (
        len(fields.open_data_url) > MAX_URL or not URL.match(fields.open_data_url)
    ):
        errors.append(
            DomainError(
                SensorErrorCode.INVALID_URL,
                N_("The open-data link must be an http or https address."),
                field="openDataUrl",
            )
        )
    errors += _element_errors(fields.elements or [], taxonomy)
    return errors


def _element_errors(choices: list[ElementChoice], taxonomy: Taxonomy) -> list[DomainError]:
    if len(choices) > MAX_ELEMENTS:
        return [
            DomainError(
                SensorErrorCode.TEXT_TOO_LONG,
                N_("A sign shows at most %(limit)s DTPR elements."),
                field="dtpr",
                limit=MAX_ELEMENTS,
            )
        ]
    errors: list[DomainError] = []
    for index, choice in enumerate(choices):
        element = taxonomy.elements.get((choice.category_id, choice.element_id))
        if element is None:
            errors.append(
                DomainError(
                    SensorErrorCode.UNKNOWN_DTPR_ELEMENT,
                    N_("DTPR has no element %(element)s in the category %(category)s."),
                    field=f"dtpr.{index}",
                    element=choice.element_id,
                    category=choice.category_id,
                )
            )
            continue
        errors += _variable_errors(
            index, choice, variables_of(element.name_en, element.description_en)
        )
    return errors


def _variable_errors(index: int, choice: ElementChoice, named: list[str]) -> list[DomainError]:
    """A value (at most MAX_VARIABLE characters) for each variable the element names, and no
    other: only the element's are stored, another name would be kept unread, however long."""

    def refusal(code: SensorErrorCode, message: str, name: str) -> DomainError:
        return DomainError(
            code,
            message,
            field=f"dtpr.{index}.variables",
            element=choice.element_id,
            variable=name[:MAX_VARIABLE],
        )

    unknown = sorted(set(choice.variables) - set(named))[:1]
    errors = [
        refusal(
            SensorErrorCode.UNKNOWN_DTPR_VARIABLE,
            N_("The element %(element)s has no variable %(variable)s."),
            name,
        )
        for name in unknown
    ]
    for name in named:
        value = choice.variables.get(name, "").strip()
        if not value or len(value) > MAX_VARIABLE:
            errors.append(
                refusal(
                    SensorErrorCode.MISSING_VARIABLE,
                    N_("The element %(element)s needs a value for %(variable)s."),
                    name,
                )
            )
    return errors


def _date_errors(sensor: Sensor) -> list[DomainError]:
    steps = [d for d in (sensor.planned_on, sensor.installed_on, sensor.removed_on) if d]
    if steps == sorted(steps):
        return []
    return [
        DomainError(
            SensorErrorCode.INVALID_DATES,
            N_("The dates must follow each other: planned, installed, then removed."),
            field="installedOn",
        )
    ]


def require_staff(identity: StaffIdentity | None) -> StaffIdentity:
    """A staff member who may write (council members read trends only): checked before the
    input, so a stranger learns nothing from validation errors."""
    if identity is None:
        raise not_authenticated()
    if identity.role is Role.COUNCIL or "items:write" not in identity.scopes:
        raise forbidden()
    return identity


def may_manage(
    identity: StaffIdentity | None, body_code: str, reference: ReferenceData
) -> StaffIdentity:
    """Administrators of the metropole manage every sensor; the staff of a body (and of the
    bodies above it) manage the sensors that body is accountable for."""
    identity = require_staff(identity)
    own_body = reference.bodies.get(identity.body_code)
    if identity.role is Role.ADMIN and own_body and own_body.kind == BodyKind.METROPOLE.value:
        return identity
    if body_code not in covered_bodies(identity, reference):
        raise forbidden()
    return identity


def slug_sought(slug: str) -> str | None:
    """The slug as stored (a sensor's address is read case-blind); None for a name that
    names nothing (a refused character: PostgreSQL could not even compare it)."""
    return None if refused_character(slug) is not None else slug.strip().lower()


async def get_sensor(session: AsyncSession, slug: str) -> Sensor | None:
    sought = slug_sought(slug)
    if sought is None:
        return None
    return (await session.exec(select(Sensor).where(Sensor.slug == sought))).first()


def outside_alm() -> DomainError:
    return DomainError(
        SensorErrorCode.OUTSIDE_ALM,
        N_("This place is outside the 29 communes of Angers Loire Métropole."),
        field="latitude",
    )


def _apply(
    sensor: Sensor, fields: SensorFields, reference: ReferenceData, today: date
) -> list[str]:
    """Copy the given fields onto the sensor; returns the names of those that changed."""
    changed: list[str] = []

    def put(name: str, value: Any) -> None:
        if value is not None and getattr(sensor, name) != value:
            setattr(sensor, name, value)
            changed.append(name)

    put("name", fields.name.strip() if fields.name is not None else None)
    if fields.description is not None:
        put("description", fields.description.strip())
    for name in ("place_name", "anonymisation", "hosting", "open_data_url"):
        value = getattr(fields, name)
        if value is not None and getattr(sensor, name) != (value.strip() or None):
            setattr(sensor, name, value.strip() or None)  # an empty text clears the field
            changed.append(name)
    if fields.latitude is not None and fields.longitude is not None:
        commune = reference.locator.locate(fields.latitude, fields.longitude)
        if commune is None:
            raise ValidationFailed([outside_alm()])
        put("latitude", fields.latitude)
        put("longitude", fields.longitude)
        put("commune_code", commune)
    put("accountable_body_code", fields.accountable_body_code)
    put("personal_data", fields.personal_data)
    put("hosted_in_eu", fields.hosted_in_eu)
    put("planned_on", fields.planned_on)
    put("installed_on", fields.installed_on)
    put("removed_on", fields.removed_on)
    if fields.status is not None:
        put("status", fields.status.value)
        if fields.status is SensorStatus.ACTIVE and sensor.installed_on is None:
            put("installed_on", today)
        if fields.status is SensorStatus.REMOVED and sensor.removed_on is None:
            put("removed_on", today)
    return changed


async def _replace_elements(
    session: AsyncSession, sensor_id: int, choices: list[ElementChoice]
) -> None:
    await session.exec(delete(SensorElement).where(col(SensorElement.sensor_id) == sensor_id))
    for position, choice in enumerate(choices):
        session.add(
            SensorElement(
                sensor_id=sensor_id,
                category_id=choice.category_id,
                element_id=choice.element_id,
                position=position,
                variables=json.dumps(choice.variables, ensure_ascii=False, sort_keys=True),
            )
        )


async def create_sensor(
    db: Database,
    reference: ReferenceData,
    identity: StaffIdentity | None,
    slug: str,
    fields: SensorFields,
    now: datetime,
    *,
    is_example: bool = False,
) -> Sensor:
    """Add a sensor to the register (audited): its slug is what the sign prints."""
    if not is_example:
        require_staff(identity)
    slug = slug.strip().lower()
    raise_if_any(slug_errors(slug))
    async with db.writing() as session:
        taxonomy = await load_taxonomy(session)
        raise_if_any(field_errors(fields, reference, taxonomy, creating=True))
        assert fields.accountable_body_code is not None  # narrowing: field_errors refuses None
        actor = (
            None if is_example else may_manage(identity, fields.accountable_body_code, reference)
        )
        if await get_sensor(session, slug) is not None:
            raise ValidationFailed(
                [
                    DomainError(
                        SensorErrorCode.SLUG_TAKEN,
                        N_("Another sensor already has the slug %(slug)s."),
                        field="slug",
                        slug=slug,
                    )
                ]
            )
        sensor = Sensor(
            slug=slug,
            name="",
            latitude=0.0,
            longitude=0.0,
            commune_code="",
            accountable_body_code="",
            status=(fields.status or SensorStatus.PLANNED).value,
            is_example=is_example,
            created_at=now,
            updated_at=now,
        )
        _apply(sensor, fields, reference, now.date())
        raise_if_any(_date_errors(sensor))
        session.add(sensor)
        await session.flush()
        assert sensor.id is not None
        await _replace_elements(session, sensor.id, fields.elements or [])
        changes.announce(session, [sensor.id], now)
        if actor is not None:
            audit(session, actor, "sensor_created", None, now, f"sensor {slug}")
    return sensor


async def update_sensor(
    db: Database,
    reference: ReferenceData,
    identity: StaffIdentity | None,
    slug: str,
    fields: SensorFields,
    now: datetime,
) -> Sensor:
    """Edit a sensor (its staff, audited with the names of the fields that changed).
    Removing one is an edit too: status removed, the date kept; its page stays public."""
    require_staff(identity)
    async with db.writing() as session:
        sensor = await get_sensor(session, slug)
        if sensor is None:
            raise ValidationFailed([not_found(slug)])
        identity = may_manage(identity, sensor.accountable_body_code, reference)
        taxonomy = await load_taxonomy(session)
        raise_if_any(field_errors(fields, reference, taxonomy, creating=False))
        if fields.accountable_body_code is not None:
            may_manage(identity, fields.accountable_body_code, reference)
        changed = _apply(sensor, fields, reference, now.date())
        raise_if_any(_date_errors(sensor))
        if fields.elements is not None:
            assert sensor.id is not None
            await _replace_elements(session, sensor.id, fields.elements)
            changed.append("dtpr")
        sensor.updated_at = now
        session.add(sensor)
        changes.announce(session, [sensor.id], now)
        audit(
            session,
            identity,
            "sensor_updated",
            None,
            now,
            f"sensor {sensor.slug}: {', '.join(changed) or 'nothing changed'}",
        )
    return sensor


async def publish_reply(
    db: Database,
    reference: ReferenceData,
    identity: StaffIdentity | None,
    slug: str,
    text: str,
    now: datetime,
) -> Sensor:
    """The accountable body's public answer to the opinions on its sensor (an empty text
    withdraws it), audited."""
    require_staff(identity)
    raise_if_any(_text_errors(text, "text", MAX_DESCRIPTION))
    async with db.writing() as session:
        sensor = await get_sensor(session, slug)
        if sensor is None:
            raise ValidationFailed([not_found(slug)])
        identity = may_manage(identity, sensor.accountable_body_code, reference)
        sensor.public_reply = privacy.mask_personal_data(text.strip()) or None
        sensor.public_reply_at = now if sensor.public_reply else None
        sensor.updated_at = now
        session.add(sensor)
        changes.announce(session, [sensor.id], now)
        audit(session, identity, "sensor_replied", None, now, f"sensor {sensor.slug}")
    return sensor


async def elements_of(
    session: AsyncSession, sensor_ids: list[int]
) -> dict[int, list[SensorElement]]:
    """The DTPR elements of several sensors, in sign order, in one statement."""
    found: dict[int, list[SensorElement]] = {sensor_id: [] for sensor_id in sensor_ids}
    if not sensor_ids:
        return found
    statement = (
        select(SensorElement)
        .where(col(SensorElement.sensor_id).in_(sensor_ids))
        .order_by(col(SensorElement.sensor_id), col(SensorElement.position))
    )
    for row in (await session.exec(statement)).all():
        found[row.sensor_id].append(row)
    return found


# ---------------------------------------------------------------------------- public list


@dataclass(frozen=True)
class Near:
    latitude: float
    longitude: float
    radius_m: int


@dataclass(frozen=True)
class SensorFilter:
    commune_code: str | None = None
    purpose: str | None = None
    tech: str | None = None
    statuses: frozenset[SensorStatus] = frozenset({SensorStatus.PLANNED, SensorStatus.ACTIVE})
    near: Near | None = None
    place_name: str | None = None


def near_errors(near: Near) -> list[DomainError]:
    errors = coordinate_errors(near.latitude, near.longitude, field_prefix="near.")
    if not 1 <= near.radius_m <= MAX_NEAR_RADIUS_M:
        errors.append(
            DomainError(
                SensorErrorCode.RADIUS_OUT_OF_RANGE,
                N_("The radius must be between 1 and %(limit)s metres."),
                field="near.radiusMeters",
                limit=MAX_NEAR_RADIUS_M,
            )
        )
    return errors


def distance_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance (haversine), in metres."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(math.sqrt(a))


def _filtered(statement, f: SensorFilter):  # type: ignore[no-untyped-def]
    statement = statement.where(col(Sensor.status).in_(sorted(s.value for s in f.statuses)))
    if f.commune_code:
        statement = statement.where(Sensor.commune_code == f.commune_code)
    if f.place_name:
        statement = statement.where(Sensor.place_name == f.place_name)
    for category_id, element_id in (("purpose", f.purpose), ("tech", f.tech)):
        if element_id:
            statement = statement.where(
                col(Sensor.id).in_(
                    select(SensorElement.sensor_id).where(
                        SensorElement.category_id == category_id,
                        SensorElement.element_id == element_id,
                    )
                )
            )
    if near := f.near:
        dlat = near.radius_m / METRES_PER_DEGREE
        dlon = near.radius_m / (
            METRES_PER_DEGREE * max(math.cos(math.radians(near.latitude)), 0.01)
        )
        statement = statement.where(
            col(Sensor.latitude).between(near.latitude - dlat, near.latitude + dlat),
            col(Sensor.longitude).between(near.longitude - dlon, near.longitude + dlon),
        )
    return statement


@dataclass(frozen=True)
class SensorPage:
    rows: list[tuple[Sensor, float | None]]  # with the distance when searching near a point
    has_next: bool
    total: int
    # Where the next page starts: the last id (register order) or the offset (nearest first).
    next_position: int | None


async def list_sensors(
    session: AsyncSession, f: SensorFilter, *, first: int, after: int | None
) -> SensorPage:
    """The register in id order, keyset-paged; near a point: nearest first, the candidates of
    the bounding box sorted in memory (a radius of at most 5 km holds a few hundred)."""
    if f.near is None:
        statement = _filtered(select(Sensor), f)
        if after is not None:
            statement = statement.where(col(Sensor.id) > after)
        rows = list((await session.exec(statement.order_by(col(Sensor.id)).limit(first + 1))).all())
        total = int(
            (await session.exec(_filtered(select(func.count()).select_from(Sensor), f))).one()
        )
        page = rows[:first]
        return SensorPage(
            [(s, None) for s in page], len(rows) > first, total, page[-1].id if page else None
        )
    near = f.near
    ranked = sorted(
        (
            (distance_m(near.latitude, near.longitude, s.latitude, s.longitude), s.id or 0, s)
            for s in (await session.exec(_filtered(select(Sensor), f))).all()
        ),
        key=lambda entry: (entry[0], entry[1]),
    )
    ranked = [entry for entry in ranked if entry[0] <= near.radius_m]
    start = after or 0
    page_entries = ranked[start : start + first]
    return SensorPage(
        [(s, d) for d, _, s in page_entries],
        start + first < len(ranked),
        len(ranked),
        start + len(page_entries),
    )


# ---------------------------------------------------------------------------- questions


@dataclass(frozen=True)
class QuestionRequest:
    sensor_slug: str
    question: str
    idempotency_key: str
    channel: str
    language: str
    contact: privacy.ContactRequest | None


_COMPETENCE_OF_BODY = {
    BodyKind.METROPOLE.value: Competence.METROPOLE,
    BodyKind.DIRECTORATE.value: Competence.METROPOLE,
    BodyKind.COMMUNE.value: Competence.COMMUNE,
    BodyKind.OPERATOR.value: Competence.OPERATOR,
}


def route_question(reference: ReferenceData, sensor: Sensor) -> RoutingDecision:
    """A question goes to the body accountable for the sensor, by that body's route."""
    body_code = sensor.accountable_body_code
    body = reference.bodies[body_code]
    route = reference.routes.get(body_code)
    how = route.kind if route else "none (unrouted: kept in the body's triage queue)"
    return RoutingDecision(
        _COMPETENCE_OF_BODY[body.kind],
        body_code,
        route,
        f"sensor {sensor.slug}: accountable body -> {body_code}; route {how}",
    )


async def submit_question(
    db: Database,
    reference: ReferenceData,
    request: QuestionRequest,
    *,
    scope: str,
    now: datetime,
    cipher: FieldCipher | None = None,
) -> Submitted:
    """A resident's question about a sensor, stored as an item of the spine (reference,
    history, tracking token) routed to the sensor's accountable body; once per key."""
    errors = items.text_errors(
        request.question, field="question", maximum=MAX_QUESTION, required=True
    )
    errors += items.idempotency_key_errors(request.idempotency_key)
    if request.contact is not None:
        errors += privacy.contact_errors(request.contact)
    raise_if_any(errors)
    async with db.reading() as session:
        sensor = await get_sensor(session, request.sensor_slug)
    if sensor is None:
        raise ValidationFailed([not_found(request.sensor_slug)])
    sensor_id = sensor.id
    contact = request.contact
    new = items.NewItem(
        kind=ItemKind.SENSOR_QUESTION,
        commune_code=sensor.commune_code,
        category_code=None,
        decision=route_question(reference, sensor),
        latitude=sensor.latitude,
        longitude=sensor.longitude,
        address_text=sensor.place_name,
        description=request.question.strip(),
        channel=request.channel,
        language=request.language,
        idempotency_scope=scope,
        idempotency_key=request.idempotency_key,
        request_fingerprint=items.fingerprint(
            {
                "sensor": sensor.slug,
                "question": request.question,
                "channel": request.channel,
                "contact": contact is not None,
            }
        ),
    )

    async def link(session: AsyncSession, item: Item) -> None:
        assert item.id is not None and sensor_id is not None  # narrowing: rows read or stored
        session.add(SensorQuestion(item_id=item.id, sensor_id=sensor_id))

    return await store_once(db, new, contact=contact, now=now, cipher=cipher, store_extra=link)


async def sensor_of_question(session: AsyncSession, item_id: int) -> Sensor | None:
    statement = select(Sensor).join(SensorQuestion, col(SensorQuestion.sensor_id) == col(Sensor.id))
    return (await session.exec(statement.where(SensorQuestion.item_id == item_id))).first()


async def questions_of(session: AsyncSession, sensor_id: int, limit: int) -> list[Item]:
    """The newest questions asked about a sensor."""
    statement = (
        select(Item)
        .join(SensorQuestion, col(SensorQuestion.item_id) == col(Item.id))
        .where(SensorQuestion.sensor_id == sensor_id)
        .order_by(col(Item.id).desc())
        .limit(limit)
    )
    return list((await session.exec(statement)).all())
