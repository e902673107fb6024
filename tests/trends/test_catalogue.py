"""The open-data catalogue: the DCAT-AP catalogue read as RDF (as a harvester reads it),
each CSV valid against its Table Schema (frictionless), and the item-level dataset's
anonymity: no place cell of 1-4 items, no text, no contact, erased items kept anonymous."""

from __future__ import annotations

import csv
import io
import json
from collections import Counter
from pathlib import Path

import httpx
import pytest
from frictionless import Resource, Schema
from rdflib import Graph, Namespace
from rdflib.namespace import DCAT, DCTERMS, RDF

from service.context import Services
from service.trends import rollup
from service.trends.item_rows import publishable_cells
from service.trends.opendata import DATASETS
from tests.privacy.helpers import report_with_contact
from tests.support import ANGERS_TOWN_HALL, PONTS_DE_CE_TOWN_HALL, operation, submit_report

pytestmark = pytest.mark.anyio

SECRET = "Texte confidentiel du résident 4521"
FOAF = Namespace("http://xmlns.com/foaf/0.1/")


# rdflib's JSON-LD parser builds a ConjunctiveGraph internally (its own deprecation).
@pytest.mark.filterwarnings("ignore:ConjunctiveGraph is deprecated:DeprecationWarning")
async def test_the_dcat_catalogue_holds_the_mandatory_properties_of_dcat_ap(
    client: httpx.AsyncClient,
) -> None:
    # when
    response = await client.get("/opendata/catalog.jsonld")
    # then
    assert response.headers["content-type"].startswith("application/ld+json")
    graph = Graph().parse(data=response.text, format="json-ld")
    catalogues = list(graph.subjects(RDF.type, DCAT.Catalog))
    assert len(catalogues) == 1
    catalogue = catalogues[0]
    for prop in (DCTERMS.title, DCTERMS.description, DCTERMS.publisher, DCAT.dataset):
        assert graph.value(catalogue, prop) is not None, prop
    languages = {t.language for t in graph.objects(catalogue, DCTERMS.title)}  # type: ignore[attr-defined]
    assert languages == {"fr", "en", "es", "de", "ar"}
    publisher = graph.value(catalogue, DCTERMS.publisher)
    assert graph.value(publisher, FOAF.name) is not None
    datasets = set(graph.objects(catalogue, DCAT.dataset))
    identifiers = {str(graph.value(d, DCTERMS.identifier)) for d in datasets}
    assert identifiers == {*DATASETS, "sensors"}
    for dataset in datasets:
        assert (dataset, RDF.type, DCAT.Dataset) in graph
        for prop in (DCTERMS.title, DCTERMS.description, DCTERMS.license,
                     DCTERMS.accrualPeriodicity, DCAT.distribution):  # fmt: skip
            assert graph.value(dataset, prop) is not None, (dataset, prop)
        for distribution in graph.objects(dataset, DCAT.distribution):
            assert (distribution, RDF.type, DCAT.Distribution) in graph
            assert graph.value(distribution, DCAT.accessURL) is not None
            assert graph.value(distribution, DCAT.downloadURL) is not None
            assert graph.value(distribution, DCTERMS.format) is not None
            assert graph.value(distribution, DCTERMS.license) is not None


async def test_every_csv_is_valid_against_its_table_schema(
    services: Services, client: httpx.AsyncClient, tmp_path: Path
) -> None:
    # given items this year, with a place
    for _ in range(6):
        await submit_report(client)
    await rollup.apply_outbox(services.db)
    year = services.clock().year
    for name in DATASETS:
        # when
        data = await client.get(f"/opendata/{name}.csv", params={"year": year})
        schema = await client.get(f"/opendata/{name}.schema.json")
        # then
        assert data.status_code == 200 and schema.status_code == 200, name
        path = tmp_path / f"{name}.csv"
        path.write_bytes(data.content)
        resource = Resource(
            path=path.name, basepath=str(tmp_path), schema=Schema.from_descriptor(schema.json())
        )
        report = resource.validate()
        assert report.valid, (name, report.flatten(["rowNumber", "fieldName", "type", "note"]))
        # no opinion given here, no item through an agent: a header alone
        if name not in ("sensor-opinions", "items-by-help-place"):
            assert len(data.text.splitlines()) > 1, name


async def test_the_item_dataset_has_no_small_place_no_text_and_keeps_erased_items_anonymous(
    fresh_services: Services, fresh_client: httpx.AsyncClient
) -> None:
    # given six reports at Angers town hall, two at Les Ponts-de-Cé (too few for a cell),
    # and one whose resident erased their data
    client = fresh_client
    for _ in range(6):
        await submit_report(client, description=SECRET)
    for _ in range(2):
        await submit_report(client, point=PONTS_DE_CE_TOWN_HALL, description=SECRET)
    erased, token = await report_with_contact(client, point=ANGERS_TOWN_HALL, description=SECRET)
    response = await client.post(
        "/graphql", json={"query": operation("MyDataErase"), "variables": {"token": token}}
    )
    assert "errors" not in response.json()
    await rollup.apply_outbox(fresh_services.db)
    # when
    found = await client.get("/opendata/items.csv", params={"year": fresh_services.clock().year})
    # then
    assert SECRET not in found.text and "@" not in found.text
    rows = list(csv.DictReader(io.StringIO(found.text)))
    assert len(rows) >= 9
    assert set(rows[0]) == {c.name for c in DATASETS["items"].columns}
    cells = Counter(
        (r["cell_latitude"], r["cell_longitude"], r["cell_size_degrees"])
        for r in rows
        if r["cell_latitude"]
    )
    assert cells and all(count >= 5 for count in cells.values()), cells
    mine = [r for r in rows if r["reference"] == erased]
    assert len(mine) == 1 and mine[0]["commune"] == "49007"
    as_json = await client.get("/opendata/items.json", params={"year": fresh_services.clock().year})
    assert SECRET not in as_json.text
    assert json.loads(as_json.text)["dataset"] == "items"


def test_small_cells_are_merged_upwards_until_they_hold_five_items() -> None:
    # given a dense spot, a pair of close items, and a lone item far away
    points = {i: (47.4712, -0.5502) for i in range(7)}
    points |= {10: (47.4731, -0.5471), 11: (47.4733, -0.5469), 20: (47.30, -0.80)}
    # when
    cells = publishable_cells(points)
    # then
    counts = Counter(c for c in cells.values() if c is not None)
    assert all(n >= 5 for n in counts.values())
    assert cells[20] is None  # alone even in the coarsest cell: published without a place
    assert cells[0] is not None and cells[0][0] == 0  # the dense spot keeps the finest cell
