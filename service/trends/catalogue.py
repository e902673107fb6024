"""The open-data catalogue: every dataset with its licence, update frequency and schema, as a
DCAT-AP catalogue in JSON-LD (what data.gouv.fr's harvester reads) and a Table Schema per CSV.

Built from ``service.trends.opendata.DATASETS`` and the sensor register's GeoJSON: a dataset
added there is in the catalogue, the page and the harvest at once."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from service.errors import N_
from service.i18n.translator import Translator
from service.trends.opendata import DATASETS, Dataset

LICENCE = "https://www.etalab.gouv.fr/licence-ouverte-open-licence/"
LICENCE_NAME = "Licence Ouverte 2.0 (Etalab)"
PUBLISHER = "Angers Loire Métropole"
EU = "http://publications.europa.eu/resource/authority/"
LANGUAGES = {"fr": "FRA", "en": "ENG", "es": "SPA", "de": "DEU", "ar": "ARA"}
FORMATS = {
    "csv": ("CSV", "text/csv"),
    "json": ("JSON", "application/json"),
    "geojson": ("GEOJSON", "application/geo+json"),
}
CONTEXT = {
    "dcat": "http://www.w3.org/ns/dcat#",
    "dct": "http://purl.org/dc/terms/",
    "foaf": "http://xmlns.com/foaf/0.1/",
    "vcard": "http://www.w3.org/2006/vcard/ns#",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
}
CATALOGUE_TITLE = N_("Open data of residents' reports and requests")
CATALOGUE_DESCRIPTION = N_(
    "Aggregates of what residents reported and asked for in the 29 communes of Angers Loire "
    "Métropole, how it was handled, their opinions on sensors, and the sensor register. "
    "Counts of fewer than 5 items are withheld."
)
SENSORS_TITLE = N_("Sensor register")
SENSORS_DESCRIPTION = N_(
    "Every sensor installed in public space, with its place, purpose and accountable body "
    "(DTPR transparency signage), as GeoJSON points."
)
FREQUENCY_LABELS = {"DAILY": N_("Daily"), "CONTINUOUS": N_("Continuously")}


@dataclass(frozen=True)
class Entry:
    """One dataset of the catalogue, as the page lists it."""

    name: str
    title: str  # English msgid
    description: str  # English msgid
    frequency: str
    formats: tuple[str, ...]
    yearly: bool  # one file per year (``?year=``)
    schema: bool  # a Table Schema describes its CSV


def entries() -> list[Entry]:
    found = [
        Entry(d.name, d.title, d.description, d.frequency, ("csv", "json"), True, True)
        for d in DATASETS.values()
    ]
    found.append(
        Entry(
            "sensors", SENSORS_TITLE, SENSORS_DESCRIPTION, "CONTINUOUS", ("geojson",), False, False
        )  # fmt: skip
    )
    return found


def download_path(entry: Entry, fmt: str, year: int | None) -> str:
    if entry.name == "sensors":
        return "/sensors.geojson"
    return f"/opendata/{entry.name}.{fmt}" + (f"?year={year}" if year is not None else "")


def table_schema(dataset: Dataset) -> dict[str, Any]:
    """The Table Schema (frictionless) of a dataset's CSV: withheld values are empty."""
    return {
        "name": dataset.name,
        "title": dataset.title,
        "description": dataset.description,
        "fields": [
            {"name": c.name, "type": c.type, "description": c.description} for c in dataset.columns
        ],
        "missingValues": [""],
    }


def _texts(message: str, translators: list[Translator]) -> list[dict[str, str]]:
    return [{"@value": t.gettext(message), "@language": t.locale} for t in translators]


def dcat_catalogue(
    base: str, years: list[int], translator_for: Callable[[str], Translator]
) -> dict[str, Any]:
    """The DCAT-AP catalogue of ``base`` (the service's public URL), in JSON-LD: titles and
    descriptions in the five languages, a distribution per format (and year)."""
    translators = [translator_for(code) for code in LANGUAGES]
    publisher = {"@id": f"{base}/#publisher", "@type": "foaf:Agent", "foaf:name": PUBLISHER}
    contact = {
        "@type": "vcard:Organization",
        "vcard:fn": PUBLISHER,
        "vcard:hasURL": {"@id": f"{base}/donnees-ouvertes"},
    }
    licence = {"@id": LICENCE, "@type": "dct:LicenseDocument", "dct:title": LICENCE_NAME}
    datasets = []
    for entry in entries():
        distributions = []
        for year in years if entry.yearly else [None]:
            for fmt in entry.formats:
                url = base + download_path(entry, fmt, year)
                file_type, media_type = FORMATS[fmt]
                distribution: dict[str, Any] = {
                    "@id": url,
                    "@type": "dcat:Distribution",
                    "dct:title": f"{entry.name}{f' {year}' if year else ''} ({file_type})",
                    "dcat:accessURL": {"@id": f"{base}/donnees-ouvertes"},
                    "dcat:downloadURL": {"@id": url},
                    "dct:format": {"@id": f"{EU}file-type/{file_type}"},
                    "dcat:mediaType": {
                        "@id": f"https://www.iana.org/assignments/media-types/{media_type}"
                    },
                    "dct:license": licence,
                }
                if fmt == "csv" and entry.schema:
                    distribution["dct:conformsTo"] = {
                        "@id": f"{base}/opendata/{entry.name}.schema.json"
                    }
                distributions.append(distribution)
        datasets.append(
            {
                "@id": f"{base}/opendata/{entry.name}",
                "@type": "dcat:Dataset",
                "dct:identifier": entry.name,
                "dct:title": _texts(entry.title, translators),
                "dct:description": _texts(entry.description, translators),
                "dct:publisher": publisher,
                "dcat:contactPoint": contact,
                "dct:accrualPeriodicity": {"@id": f"{EU}frequency/{entry.frequency}"},
                "dct:spatial": {"@id": "https://geo.api.gouv.fr/epcis/244900015"},
                "dct:license": licence,
                "dcat:keyword": ["signalements", "demandes", "capteurs", "Angers"],
                "dcat:landingPage": {"@id": f"{base}/donnees-ouvertes"},
                "dcat:distribution": distributions,
            }
        )
    return {
        "@context": CONTEXT,
        "@id": f"{base}/opendata/catalog.jsonld",
        "@type": "dcat:Catalog",
        "dct:title": _texts(CATALOGUE_TITLE, translators),
        "dct:description": _texts(CATALOGUE_DESCRIPTION, translators),
        "dct:publisher": publisher,
        "dct:license": licence,
        "dct:language": [{"@id": f"{EU}language/{code}"} for code in LANGUAGES.values()],
        "foaf:homepage": {"@id": f"{base}/donnees-ouvertes"},
        "dcat:dataset": datasets,
        "dct:rightsHolder": publisher,
        "dct:conformsTo": {"@id": "https://semiceu.github.io/DCAT-AP/releases/3.0.0/"},
    }
