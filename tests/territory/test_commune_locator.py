"""Tests of the point -> INSEE code locator against the ALM commune polygons.

Expected values are hard-coded. Each was checked while writing these tests against the polygon
data with the naive point-in-polygon below, and `test_tables_agree_with_naive_reference` keeps
checking it, so a change of fixture data shows up as a data problem, not a locator bug.
"""

from __future__ import annotations

import csv
import json
import math
import random
from pathlib import Path
from typing import Any

import pytest

from service.territory.geometry import CommuneLocator, load_commune_locator

TERRITORY = Path(__file__).resolve().parents[2] / "fixtures" / "territory"
GEOJSON = TERRITORY / "communes.geojson"
CSV = TERRITORY / "communes.csv"

Row = tuple[str, float, float, str | None]

# Town halls / town centres. Coordinates are the chef-lieu coordinates of the French Wikipedia
# infobox (close to the mairie), except Angers (the hôtel de ville itself). The last column of the
# comment is the distance from the point to its commune's border in the data: all are far more
# than the few tens of metres the simplified outlines can be off by.
TOWN_HALLS: list[Row] = [
    ("Angers, hôtel de ville", 47.4712, -0.5502, "49007"),  # 2.3 km
    ("Avrillé, mairie", 47.50778, -0.58778, "49015"),  # 1.1 km
    ("Trélazé, mairie", 47.44667, -0.46528, "49353"),  # 0.8 km
    ("Les Ponts-de-Cé, mairie", 47.42528, -0.52417, "49246"),  # 450 m
    ("Saint-Barthélemy-d'Anjou, mairie", 47.46833, -0.49389, "49267"),  # 1.1 km
    ("Mûrs-Erigné, mairie", 47.39611, -0.55194, "49223"),  # 1.4 km
    ("Écouflant, mairie", 47.53, -0.52972, "49129"),  # 330 m
    ("Béhuard, village on its Loire island", 47.38, -0.64278, "49028"),  # 240 m
    ("Saint-Léger-de-Linières, mairie at Saint-Léger-des-Bois", 47.46111, -0.70778, "49298"),
    ("Rives-du-Loir-en-Anjou, mairie at Villevêque", 47.56167, -0.42222, "49377"),  # 1.6 km
    ("Soucelles (merged into Rives-du-Loir-en-Anjou)", 47.56972, -0.41722, "49377"),  # 1.7 km
]

# For each pair of neighbours: among the segments of their shared border (same two vertices in
# both polygons), the one whose two points at +-300 m along the normal at its midpoint lie
# farthest inside their respective communes (at least 250 m from any border). Computed once from
# the fixture with a local equirectangular projection, rounded to 1e-5 degrees.
BORDER_PAIRS: list[Row] = [
    ("Angers, 300 m from Avrillé", 47.51041, -0.56418, "49007"),
    ("Avrillé, 300 m from Angers", 47.5086, -0.5717, "49015"),
    ("Angers, 300 m from Trélazé", 47.45659, -0.51995, "49007"),
    ("Trélazé, 300 m from Angers", 47.45458, -0.51254, "49353"),
    ("Angers, 300 m from Les Ponts-de-Cé", 47.44522, -0.53706, "49007"),
    ("Les Ponts-de-Cé, 300 m from Angers", 47.4399, -0.53572, "49246"),
    ("Angers, 300 m from Beaucouzé", 47.47762, -0.60514, "49007"),
    ("Beaucouzé, 300 m from Angers", 47.47635, -0.61289, "49020"),
    ("Angers, 300 m from Saint-Barthélemy-d'Anjou", 47.46764, -0.52319, "49007"),
    ("Saint-Barthélemy-d'Anjou, 300 m from Angers", 47.46882, -0.5154, "49267"),
    ("Angers, 300 m from Bouchemaine", 47.45184, -0.58466, "49007"),
    ("Bouchemaine, 300 m from Angers", 47.45338, -0.5923, "49035"),
    ("Angers, 300 m from Écouflant", 47.49494, -0.53042, "49007"),
    ("Écouflant, 300 m from Angers", 47.49974, -0.52677, "49129"),
    ("Les Ponts-de-Cé, 300 m from Mûrs-Erigné", 47.40923, -0.53538, "49246"),
    ("Mûrs-Erigné, 300 m from Les Ponts-de-Cé", 47.40624, -0.54202, "49223"),
    ("Les Ponts-de-Cé, 300 m from Sainte-Gemmes-sur-Loire", 47.42724, -0.53518, "49246"),
    ("Sainte-Gemmes-sur-Loire, 300 m from Les Ponts-de-Cé", 47.42206, -0.53741, "49278"),
    ("Avrillé, 300 m from Montreuil-Juigné", 47.51984, -0.60233, "49015"),
    ("Montreuil-Juigné, 300 m from Avrillé", 47.52493, -0.60492, "49214"),
    ("Saint-Léger-de-Linières, 300 m from Beaucouzé", 47.45611, -0.65511, "49298"),
    ("Beaucouzé, 300 m from Saint-Léger-de-Linières", 47.46009, -0.64972, "49020"),
    ("Rives-du-Loir-en-Anjou, 300 m from Écouflant", 47.55323, -0.49359, "49377"),
    ("Écouflant, 300 m from Rives-du-Loir-en-Anjou", 47.54942, -0.49923, "49129"),
    ("Loire-Authion, 300 m from Trélazé", 47.44687, -0.43967, "49307"),
    ("Trélazé, 300 m from Loire-Authion", 47.45126, -0.44431, "49353"),
]

# The same construction across the outline of ALM: 300 m inside, 300 m outside.
OUTLINE_PAIRS: list[Row] = [
    ("Écuillé, 300 m inside the northern ALM limit", 47.61328, -0.53501, "49130"),
    ("300 m north of Écuillé, outside ALM", 47.61864, -0.53405, None),
    ("Mûrs-Erigné, 300 m inside the southern ALM limit", 47.3788, -0.56746, "49223"),
    ("300 m south of Mûrs-Erigné, outside ALM", 47.37516, -0.56156, None),
    ("Béhuard island, 300 m from its southern bank", 47.3737, -0.65832, "49028"),
    ("Loire, 300 m south of Béhuard island, outside ALM", 47.36882, -0.65491, None),
    ("Loire-Authion, 300 m inside the eastern ALM limit", 47.41669, -0.36118, "49307"),
    ("300 m south-east of Loire-Authion, outside ALM", 47.41133, -0.36215, None),
    ("Saint-Clément-de-la-Place, 300 m inside the western ALM limit", 47.51256, -0.7569, "49271"),
    ("300 m west of Saint-Clément-de-la-Place, outside ALM", 47.5075, -0.75967, None),
]

OUTSIDE: list[Row] = [
    # Inside the ALM bounding box but 6.5 km from the nearest ALM commune.
    ("Chalonnes-sur-Loire, on the Loire downstream of ALM", 47.3508, -0.7617, None),
    ("La Possonnière, on the Loire west of Savennières", 47.3753, -0.6869, None),
    ("Saumur", 47.2600, -0.0769, None),
    ("Nantes", 47.2184, -1.5536, None),
    ("Paris", 48.8566, 2.3522, None),
    ("null island", 0.0, 0.0, None),
    ("antipode of Angers", -47.4736, 179.4458, None),
]

# One point per commune, the best of a 50x50 grid over its bounding box for the distance to its
# own border (so, deep inside), computed once from the fixture.
INTERIOR_POINTS: list[tuple[str, float, float]] = [
    ("49007", 47.46833, -0.55323),  # Angers
    ("49015", 47.5058, -0.59905),  # Avrillé
    ("49020", 47.46808, -0.63509),  # Beaucouzé
    ("49028", 47.37359, -0.66211),  # Béhuard
    ("49035", 47.43073, -0.62658),  # Bouchemaine
    ("49048", 47.58156, -0.49453),  # Briollay
    ("49055", 47.54355, -0.56951),  # Cantenay-Épinard
    ("49129", 47.53703, -0.51974),  # Écouflant
    ("49130", 47.6117, -0.56282),  # Écuillé
    ("49135", 47.58658, -0.60325),  # Feneu
    ("49200", 47.52888, -0.67387),  # Longuenée-en-Anjou
    ("49214", 47.54054, -0.61724),  # Montreuil-Juigné
    ("49223", 47.39798, -0.55801),  # Mûrs-Erigné
    ("49241", 47.49193, -0.43352),  # Le Plessis-Grammoire
    ("49246", 47.43325, -0.51862),  # Les Ponts-de-Cé
    ("49267", 47.47303, -0.49361),  # Saint-Barthélemy-d'Anjou
    ("49271", 47.52723, -0.74043),  # Saint-Clément-de-la-Place
    ("49278", 47.42939, -0.58238),  # Sainte-Gemmes-sur-Loire
    ("49294", 47.48385, -0.68369),  # Saint-Lambert-la-Potherie
    ("49298", 47.46309, -0.72156),  # Saint-Léger-de-Linières
    ("49306", 47.43781, -0.69899),  # Saint-Martin-du-Fouilloux
    ("49307", 47.45166, -0.38364),  # Loire-Authion
    ("49323", 47.51371, -0.47047),  # Verrières-en-Anjou
    ("49326", 47.49984, -0.38031),  # Sarrigné
    ("49329", 47.40578, -0.67103),  # Savennières
    ("49338", 47.35869, -0.51861),  # Soulaines-sur-Aubance
    ("49339", 47.57663, -0.54605),  # Soulaire-et-Bourg
    ("49353", 47.45204, -0.46152),  # Trélazé
    ("49377", 47.57125, -0.43),  # Rives-du-Loir-en-Anjou
]

ALL_ROWS = TOWN_HALLS + BORDER_PAIRS + OUTLINE_PAIRS + OUTSIDE


def load_feature_collection() -> dict[str, Any]:
    with GEOJSON.open(encoding="utf-8") as stream:
        feature_collection: dict[str, Any] = json.load(stream)
    return feature_collection


@pytest.fixture(scope="module")
def locator() -> CommuneLocator:
    return load_commune_locator(GEOJSON)


def naive_locate(
    feature_collection: dict[str, Any], latitude: float, longitude: float
) -> str | None:
    """Reference: plain even-odd ray cast over every ring of every feature, first match wins."""
    for feature in feature_collection["features"]:
        geometry = feature["geometry"]
        parts = geometry["coordinates"]
        if geometry["type"] == "Polygon":
            parts = [parts]
        inside = False
        for polygon in parts:
            for ring in polygon:
                for (x1, y1), (x2, y2) in zip(ring, ring[1:] + ring[:1], strict=True):
                    if (y1 > latitude) != (y2 > latitude):
                        if longitude < x1 + (latitude - y1) * (x2 - x1) / (y2 - y1):
                            inside = not inside
        if inside:
            return str(feature["properties"]["code"])
    return None


@pytest.mark.parametrize(("description", "latitude", "longitude", "expected"), ALL_ROWS)
def test_tables_agree_with_naive_reference(
    description: str, latitude: float, longitude: float, expected: str | None
) -> None:
    # given
    feature_collection = load_feature_collection()

    # when
    found = naive_locate(feature_collection, latitude, longitude)

    # then
    assert found == expected, description


@pytest.mark.parametrize(("description", "latitude", "longitude", "expected"), TOWN_HALLS)
def test_town_halls_are_in_their_commune(
    locator: CommuneLocator, description: str, latitude: float, longitude: float, expected: str
) -> None:
    # given a real town hall or town centre

    # when
    found = locator.locate(latitude, longitude)

    # then
    assert found == expected, description


@pytest.mark.parametrize(
    ("description", "latitude", "longitude", "expected"), BORDER_PAIRS + OUTLINE_PAIRS
)
def test_points_either_side_of_a_border(
    locator: CommuneLocator,
    description: str,
    latitude: float,
    longitude: float,
    expected: str | None,
) -> None:
    # given a point 300 m from a commune border or from the ALM outline

    # when
    found = locator.locate(latitude, longitude)

    # then
    assert found == expected, description


@pytest.mark.parametrize(("description", "latitude", "longitude", "expected"), OUTSIDE)
def test_places_outside_alm_give_none(
    locator: CommuneLocator,
    description: str,
    latitude: float,
    longitude: float,
    expected: None,
) -> None:
    # given a place that is in no ALM commune

    # when
    found = locator.locate(latitude, longitude)

    # then
    assert found is expected, description


def test_non_finite_coordinates_give_none(locator: CommuneLocator) -> None:
    # given coordinates that are not numbers of the plane
    inside = INTERIOR_POINTS[0]
    points = [(math.nan, inside[2]), (inside[1], math.nan), (math.inf, math.inf)]

    # when
    found = [locator.locate(latitude, longitude) for latitude, longitude in points]

    # then
    assert found == [None, None, None]


def test_every_commune_contains_its_interior_point(locator: CommuneLocator) -> None:
    # given one point deep inside each of the 29 communes

    # when
    found = [locator.locate(latitude, longitude) for _, latitude, longitude in INTERIOR_POINTS]

    # then
    assert found == [code for code, _, _ in INTERIOR_POINTS]


def test_csv_and_geojson_list_the_same_29_communes() -> None:
    # given
    with CSV.open(encoding="utf-8", newline="") as stream:
        csv_codes = [row["code"] for row in csv.DictReader(stream)]
    features = load_feature_collection()["features"]

    # when
    geojson_codes = [feature["properties"]["code"] for feature in features]

    # then
    assert len(csv_codes) == len(set(csv_codes)) == 29
    assert sorted(geojson_codes) == sorted(csv_codes)
    assert sorted(code for code, _, _ in INTERIOR_POINTS) == sorted(csv_codes)


def test_random_points_match_naive_reference(locator: CommuneLocator) -> None:
    # given 5,000 seeded random points in the bounding box of all communes
    feature_collection = load_feature_collection()
    vertices = [
        vertex
        for feature in feature_collection["features"]
        for ring in feature["geometry"]["coordinates"]
        for vertex in ring
    ]
    min_lon, max_lon = min(v[0] for v in vertices), max(v[0] for v in vertices)
    min_lat, max_lat = min(v[1] for v in vertices), max(v[1] for v in vertices)
    rng = random.Random(20260101)
    points = [(rng.uniform(min_lat, max_lat), rng.uniform(min_lon, max_lon)) for _ in range(5_000)]

    # when
    found = [locator.locate(latitude, longitude) for latitude, longitude in points]

    # then
    expected = [naive_locate(feature_collection, lat, lon) for lat, lon in points]
    assert found == expected
    # The sample must exercise both answers, or the comparison proves little.
    assert found.count(None) > 500 and len(set(found)) == 30


def test_points_exactly_on_shared_borders_go_to_a_neighbour(locator: CommuneLocator) -> None:
    # given every vertex and every shared-edge midpoint of the polygons
    owners: dict[tuple[float, float], set[str]] = {}
    edges: dict[tuple[tuple[float, float], tuple[float, float]], str] = {}
    for feature in load_feature_collection()["features"]:
        code = feature["properties"]["code"]
        for ring in feature["geometry"]["coordinates"]:
            points = [(float(x), float(y)) for x, y in ring]
            for a, b in zip(points, points[1:], strict=False):
                owners.setdefault(a, set()).add(code)
                edges[(a, b)] = code
    on_outline = {p for (a, b) in edges if (b, a) not in edges for p in (a, b)}

    # when
    at_vertices = {vertex: locator.locate(vertex[1], vertex[0]) for vertex in owners}
    at_midpoints = {
        (a, b): locator.locate((a[1] + b[1]) / 2, (a[0] + b[0]) / 2)
        for (a, b) in edges
        if (b, a) in edges
    }

    # then: inside ALM, a border point belongs to one of the communes it bounds, never to none
    for vertex, found in at_vertices.items():
        if vertex in on_outline:
            assert found is None or found in owners[vertex], vertex
        else:
            assert found in owners[vertex], vertex
    for (a, b), found in at_midpoints.items():
        assert found in (edges[(a, b)], edges[(b, a)]), (a, b)
    assert at_vertices == {v: locator.locate(v[1], v[0]) for v in owners}  # deterministic


def test_holes_and_multipolygons() -> None:
    # given a square with a hole filled by another feature, and a clockwise two-part MultiPolygon
    def square(x0: float, y0: float, x1: float, y1: float) -> list[list[float]]:
        return [[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]]

    feature_collection: dict[str, Any] = {
        "type": "FeatureCollection",
        "features": [
            {
                "properties": {"code": "ring"},
                "geometry": {
                    "type": "Polygon",
                    "coordinates": [square(0, 0, 10, 10), square(4, 4, 6, 6)],
                },
            },
            {
                "properties": {"code": "filler"},
                "geometry": {"type": "Polygon", "coordinates": [square(4, 4, 6, 6)]},
            },
            {
                "properties": {"code": "multi"},
                "geometry": {
                    "type": "MultiPolygon",
                    "coordinates": [[square(20, 0, 22, 2)[::-1]], [square(20, 8, 22, 10)[::-1]]],
                },
            },
        ],
    }
    locator = CommuneLocator.from_geojson(feature_collection, grid=7)

    # when
    found = {
        "in the ring": locator.locate(1, 1),
        "in the hole": locator.locate(5, 5),
        "on the hole's edge": locator.locate(5, 4),
        "in the first part": locator.locate(1, 21),
        "in the second part": locator.locate(9, 21),
        "between the parts": locator.locate(5, 21),
        "between the features": locator.locate(5, 15),
    }

    # then
    assert found.pop("on the hole's edge") in ("ring", "filler")
    assert found == {
        "in the ring": "ring",
        "in the hole": "filler",
        "in the first part": "multi",
        "in the second part": "multi",
        "between the parts": None,
        "between the features": None,
    }
    rng = random.Random(7)
    for _ in range(2_000):
        latitude, longitude = rng.uniform(-1, 11), rng.uniform(-1, 23)
        expected = naive_locate(feature_collection, latitude, longitude)
        assert locator.locate(latitude, longitude) == expected, (latitude, longitude)


def test_unsupported_geometry_is_rejected() -> None:
    # given
    feature_collection = {
        "type": "FeatureCollection",
        "features": [
            {"properties": {"code": "x"}, "geometry": {"type": "Point", "coordinates": [0, 0]}}
        ],
    }

    # when / then
    with pytest.raises(ValueError, match="Point"):
        CommuneLocator.from_geojson(feature_collection)


def test_an_empty_collection_locates_nothing() -> None:
    # given no commune at all (e.g. before the boundaries are loaded)
    locator = CommuneLocator.from_geojson({"type": "FeatureCollection", "features": []})

    # when
    found = [locator.locate(47.47, -0.55), locator.locate(0.0, 0.0)]

    # then
    assert found == [None, None]
