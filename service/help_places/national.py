"""The directory in the national open-data schema of the places of digital mediation
(« Lieux de médiation numérique », the Table Schema of La MedNum and ANCT, v0.2), so that
ALM's directory can be published on, or filled from, the national one.

``TABLE_SCHEMA`` describes the columns we exchange, with the constraints the national schema
gives them (required fields, patterns of postcodes, phones and services). Export writes one
row per place; import reads a CSV in that schema: every row is checked first, the valid ones
go in together, each invalid one is reported with its line and reason and none of it is
written (never half a row, nor half a file of valid rows).
"""

from __future__ import annotations

import csv
import dataclasses
import io
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from service.errors import N_, DomainError, ValidationFailed
from service.help_places import rules
from service.help_places.hours import ANGERS, parse_hours
from service.help_places.models import HelpPlace, Offer, PlaceKind
from service.help_places.osm_hours import from_osm, to_osm
from service.reference import ReferenceData
from service.staff.rules import StaffIdentity

SOURCE = "Angers Loire Métropole"
# The national schema requires a SIRET (or RNA) as « pivot »; the directory does not hold
# one yet: fourteen zeros, as the national cartography writes an unknown pivot.
UNKNOWN_PIVOT = "00000000000000"
SERVICE_PROCEDURES = "Aide aux démarches administratives"
SERVICE_DAILY_TOOLS = "Maîtrise des outils numériques du quotidien"
SERVICE_ACCESS = "Accès internet et matériel informatique"
SERVICES = (
    SERVICE_PROCEDURES,
    SERVICE_DAILY_TOOLS,
    "Insertion professionnelle via le numérique",
    "Utilisation sécurisée du numérique",
    "Parentalité et éducation avec le numérique",
    "Loisirs et créations numériques",
    "Compréhension du monde numérique",
    SERVICE_ACCESS,
    "Acquisition de matériel informatique à prix solidaire",
)
MOBILITY = "Handicaps moteurs"
FOREIGN_LANGUAGES = "Langues étrangères (autres)"
FRANCE_SERVICES = "France Services"
# Our kinds in data·inclusion's typology of structures (the national schema's vocabulary).
TYPOLOGY = {
    PlaceKind.TOWN_HALL: "MUNI",
    PlaceKind.CCAS: "CCAS",
    PlaceKind.LIBRARY: "BIB",
    PlaceKind.ASSOCIATION: "ASSO",
    PlaceKind.THIRD_PLACE: "TIERS_LIEUX",
    PlaceKind.SOCIAL_CENTRE: "CS",
}
KIND_OF_TYPOLOGY = {code: kind for kind, code in TYPOLOGY.items()}


def _listed(values: tuple[str, ...]) -> str:
    alternatives = "|".join(re.escape(v) for v in values)
    return f"(?:(?:^|;)({alternatives}))+$"


def _field(name: str, title: str, kind: str = "string", **constraints: Any) -> dict[str, Any]:
    return {"name": name, "title": title, "type": kind, "constraints": constraints}


TABLE_SCHEMA: dict[str, Any] = {
    "title": "Lieux de médiation numérique (Angers Loire Métropole)",
    "description": "The columns of the national schema of the places of digital mediation "
    "(v0.2.0) that ALM's directory of help places exchanges.",
    "fields": [
        _field("id", "Identifiant unique local du lieu", required=True, unique=True),
        _field("pivot", "SIRET ou RNA", required=True),
        _field("nom", "Nom", required=True),
        _field("commune", "Commune", required=True),
        _field("code_postal", "Code postal", required=True, pattern=r"^\d{5}$"),
        _field("code_insee", "Code INSEE", pattern=r"^([013-9]\d|2[AB1-9])\d{3}$"),
        _field("adresse", "Adresse", required=True),
        _field("latitude", "Latitude", "number"),
        _field("longitude", "Longitude", "number"),
        _field("typologie", "Typologie"),
        _field(
            "telephone",
            "Numéro de téléphone",
            pattern=r"^(\+33|\+590|\+594|\+262|\+596|\+269|\+687|\+689|\+508|\+681)(\d){6,9}$",
        ),
        _field("courriels", "Courriel(s)"),
        _field("site_web", "Site web"),
        _field("horaires", "Horaires (format OpenStreetMap)"),
        _field("source", "Structure collectant la donnée"),
        _field("date_maj", "Date de mise à jour", "date", required=True),
        _field("services", "Services", required=True, pattern=_listed(SERVICES)),
        _field("prise_en_charge_specifique", "Prise en charge spécifique"),
        _field("dispositif_programmes_nationaux", "Dispositifs et programmes nationaux"),
        _field("prise_rdv", "Prise de rdv"),
    ],
    "primaryKey": "id",
}
COLUMNS = [f["name"] for f in TABLE_SCHEMA["fields"]]
MISSING_COLUMN = N_("The file has no column « %(column)s ».")
UNREADABLE_ROW = N_("The column « %(column)s » of this row is missing or cannot be read.")


def _phone(phone: str | None) -> str:
    """« 02 41 05 40 00 » → « +33241054000 », as the national schema writes phones."""
    digits = "".join(c for c in phone or "" if c.isdigit() or c == "+")
    if digits.startswith("0") and len(digits) == 10:
        return "+33" + digits[1:]
    return digits


def _services(offers: set[str]) -> list[str]:
    found = []
    if {Offer.PROCEDURE_HELP.value} & offers:
        found.append(SERVICE_PROCEDURES)
    if {Offer.DIGITAL_MEDIATOR.value} & offers:
        found.append(SERVICE_DAILY_TOOLS)
    if {Offer.FREE_COMPUTER.value, Offer.WIFI.value, Offer.PRINTING.value} & offers:
        found.append(SERVICE_ACCESS)
    return found or [SERVICE_PROCEDURES]


def export_row(place: HelpPlace, reference: ReferenceData) -> dict[str, str]:
    offers = set(place.offers.split())
    commune = reference.communes.get(place.commune_code)
    support = [MOBILITY] if Offer.REDUCED_MOBILITY.value in offers else []
    if Offer.LANGUAGE_HELP.value in offers:
        support.append(FOREIGN_LANGUAGES)
    kind = PlaceKind(place.kind)
    return {
        "id": place.slug,
        "pivot": UNKNOWN_PIVOT,
        "nom": place.name,
        "commune": commune.name if commune else "",
        "code_postal": (commune.postal_codes.split(";")[0] if commune else ""),
        "code_insee": place.commune_code,
        "adresse": place.address,
        "latitude": f"{place.latitude:.6f}",
        "longitude": f"{place.longitude:.6f}",
        "typologie": TYPOLOGY.get(kind, ""),
        "telephone": _phone(place.phone),
        "courriels": place.email or "",
        "site_web": place.website or "",
        "horaires": to_osm(parse_hours(place.hours)),
        "source": SOURCE,
        "date_maj": place.updated_at.astimezone(ANGERS).date().isoformat(),
        "services": ";".join(_services(offers)),
        "prise_en_charge_specifique": ";".join(support),
        "dispositif_programmes_nationaux": FRANCE_SERVICES
        if kind is PlaceKind.FRANCE_SERVICES
        else "",
        "prise_rdv": place.booking_url or "",
    }


def export_csv(places: list[HelpPlace], reference: ReferenceData) -> str:
    """The places as a CSV of the national schema (RFC 4180, UTF-8, header row)."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=COLUMNS, lineterminator="\r\n")
    writer.writeheader()
    for place in sorted(places, key=lambda p: p.slug):
        writer.writerow(export_row(place, reference))
    return out.getvalue()


@dataclass(frozen=True)
class RowProblem:
    line: int  # the line of the file (the header is line 1)
    field: str | None
    reason: str  # a msgid, translated by the caller
    params: dict[str, Any] = dataclasses.field(default_factory=dict)


@dataclass(frozen=True)
class ImportReport:
    added: int
    updated: int
    problems: list[RowProblem]


def _offers_of(row: dict[str, str]) -> tuple[str, ...]:
    services = set(filter(None, (row.get("services") or "").split(";")))
    support = set(filter(None, (row.get("prise_en_charge_specifique") or "").split(";")))
    offers = set()
    if SERVICE_PROCEDURES in services:
        offers.add(Offer.PROCEDURE_HELP.value)
    if services & {SERVICE_DAILY_TOOLS, "Utilisation sécurisée du numérique"}:
        offers.add(Offer.DIGITAL_MEDIATOR.value)
    if SERVICE_ACCESS in services:
        offers |= {Offer.FREE_COMPUTER.value, Offer.WIFI.value}
    if MOBILITY in support:
        offers.add(Offer.REDUCED_MOBILITY.value)
    if any(s.startswith("Langues étrangères") for s in support):
        offers.add(Offer.LANGUAGE_HELP.value)
    return tuple(sorted(offers))


def _kind_of(row: dict[str, str]) -> str:
    if FRANCE_SERVICES in (row.get("dispositif_programmes_nationaux") or "").split(";"):
        return PlaceKind.FRANCE_SERVICES.value
    for code in (row.get("typologie") or "").split(";"):
        if code in KIND_OF_TYPOLOGY:
            return KIND_OF_TYPOLOGY[code].value
    return PlaceKind.ASSOCIATION.value


def slug_of(identifier: str) -> str:
    slug = re.sub(r"[^a-z0-9-]+", "-", identifier.strip().lower()).strip("-")
    return slug[:80]


def _entry(row: dict[str, str], keeper: str | None) -> rules.PlaceInput:
    """A row as an entry, or a ValueError/DomainError saying why not."""
    if not (row.get("services") or "").strip():
        raise ValueError("services")
    latitude, longitude = float(row["latitude"]), float(row["longitude"])
    phone = row.get("telephone") or None
    if phone and phone.startswith("+33") and len(phone) == 12:
        phone = "0" + phone[3:]
    emails = [e for e in (row.get("courriels") or "").split(";") if e.strip()]
    sites = [s for s in (row.get("site_web") or "").split(";") if s.strip()]
    town = f"{row.get('code_postal', '')} {row.get('commune', '')}"
    address = ", ".join(p.strip() for p in (row.get("adresse", ""), town) if p.strip())
    return rules.PlaceInput(
        slug=slug_of(row.get("id", "")),
        name=row.get("nom", ""),
        kind=_kind_of(row),
        address=address.strip(),
        latitude=latitude,
        longitude=longitude,
        hours=from_osm(row.get("horaires") or "").to_json(),
        offers=_offers_of(row),
        phone=phone,
        email=emails[0].strip() if emails else None,
        booking_url=(row.get("prise_rdv") or "").strip() or None,
        website=sites[0].strip() if sites else None,
        body_code=keeper,
    )


async def import_csv(
    session: Any,
    caller: StaffIdentity | None,
    text: str,
    reference: ReferenceData,
    now: datetime,
    keeper: str | None = None,
) -> ImportReport:
    """Read a CSV of the national schema; add or replace the places of its valid rows (kept
    by ``keeper``, else the caller's body), report the others by line. Rows whose point is
    missing are reported: this service does not geocode."""
    identity = rules.require_keeper(caller)
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    missing = [
        c for c in ("id", "nom", "adresse", "services") if c not in (reader.fieldnames or [])
    ]
    if missing:
        return ImportReport(
            0, 0, [RowProblem(1, missing[0], MISSING_COLUMN, {"column": missing[0]})]
        )
    checked: list[tuple[int, rules.PlaceInput]] = []
    problems: list[RowProblem] = []
    seen: set[str] = set()
    for line, row in enumerate(reader, start=2):
        try:
            entry = _entry(row, keeper)
            rules.validate(entry, reference)
            if entry.slug in seen:
                raise ValueError("id")
        except ValidationFailed as failed:
            first = failed.errors[0]
            problems.append(RowProblem(line, first.field, first.message, first.params))
            continue
        except DomainError as error:
            problems.append(RowProblem(line, error.field, error.message, error.params))
            continue
        except (KeyError, ValueError, TypeError) as error:
            name = str(error).strip("'") if str(error).strip("'") in COLUMNS else "latitude"
            problems.append(RowProblem(line, name, UNREADABLE_ROW, {"column": name}))
            continue
        seen.add(entry.slug)
        checked.append((line, entry))
    added = updated = 0
    for line, entry in checked:
        existed = await rules.find(session, entry.slug) is not None
        try:
            await rules.save(session, identity, entry, reference, now)
        except DomainError as error:  # e.g. a place another body keeps
            problems.append(RowProblem(line, error.field, error.message, error.params))
            continue
        updated, added = updated + existed, added + (not existed)
    return ImportReport(added, updated, sorted(problems, key=lambda p: p.line))
