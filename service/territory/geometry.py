"""Point-to-commune lookup (latitude, longitude -> INSEE code) in pure Python.

The territory is small (29 communes, ~2,500 vertices), so a GIS dependency is not worth it. A
uniform grid over the overall bounding box answers most lookups with one list access: a cell
that no border crosses belongs to a single commune (or to none), decided once at build time.
Only cells crossed by a border keep candidate communes, tested with an even-odd ray cast over
the few edges that can cross the ray inside the cell's row.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

Point = tuple[float, float]  # (lon, lat), GeoJSON order
Segment = tuple[Point, Point]
Box = tuple[float, float, float, float]  # (min lon, min lat, max lon, max lat)
# (y_low, y_high, x at y_low, dx/dy). Every edge is stored lower end first, so a border shared by
# two communes gives the same tuple, hence the same floating-point crossing, for both: a point
# exactly on it is then inside exactly one of them (the half-open y_low <= y < y_high rule does
# the same for vertices).
Edge = tuple[float, float, float, float]
# (cast the ray towards +x?, candidates in feature order, answer when no candidate matches)
MixedCell = tuple[bool, tuple[tuple[str, tuple[Edge, ...]], ...], str | None]

# Cells are widened by this many degrees (~0.1 mm) when deciding what touches them, so that the
# rounding in the point -> cell computation can never put a point beyond its cell's edge lists.
_MARGIN = 1e-9
# Measured on the ALM data: 64x64 already gives ~1.5 M lookups/s, finer grids gain < 5 %.
_DEFAULT_GRID = 64


EARTH_RADIUS_M = 6_371_000.0
METRES_PER_DEGREE = 111_320.0  # of latitude; of longitude at the equator


def distance_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance (haversine), in metres."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(math.sqrt(a))


def degrees_around(latitude: float, radius_m: float) -> tuple[float, float]:
    """Half the sides, in degrees of latitude and of longitude, of a box holding the circle of
    ``radius_m`` around a point at ``latitude`` (read from indexed columns before the exact
    distance)."""
    return (
        radius_m / METRES_PER_DEGREE,
        radius_m / (METRES_PER_DEGREE * max(math.cos(math.radians(latitude)), 0.01)),
    )


def _segments(geometry: Mapping[str, Any]) -> Iterator[Segment]:
    """Yield the edges of a (Multi)Polygon, exteriors counter-clockwise and holes clockwise."""
    kind = geometry.get("type")
    if kind not in ("Polygon", "MultiPolygon"):
        raise ValueError(f"unsupported geometry type {kind!r}")
    polygons = [geometry["coordinates"]] if kind == "Polygon" else geometry["coordinates"]
    for polygon in polygons:
        for index, raw_ring in enumerate(polygon):
            ring = [(float(p[0]), float(p[1])) for p in raw_ring]
            edges = [(ring[i - 1], ring[i]) for i in range(len(ring)) if ring[i - 1] != ring[i]]
            area2 = sum(ax * by - bx * ay for (ax, ay), (bx, by) in edges)
            # A fixed orientation lets a border shared by two communes be recognised as the same
            # edge walked in opposite directions (see the outline test in `from_geojson`).
            if (area2 > 0) == (index == 0):
                yield from edges
            else:
                yield from ((b, a) for a, b in edges)


def _segment_hits_box(segment: Segment, box: Box) -> bool:
    (ax, ay), (bx, by) = segment
    x0, y0, x1, y1 = box
    if max(ax, bx) < x0 or min(ax, bx) > x1 or max(ay, by) < y0 or min(ay, by) > y1:
        return False
    # The bounding boxes overlap: the segment hits the box unless all corners are on one side.
    sides = [(bx - ax) * (cy - ay) - (by - ay) * (cx - ax) for cx in (x0, x1) for cy in (y0, y1)]
    return min(sides) <= 0.0 <= max(sides)


def _edge(segment: Segment) -> Edge:
    (ax, ay), (bx, by) = sorted(segment, key=lambda p: p[1])
    return (ay, by, ax, (bx - ax) / (by - ay))


def _x_span(edge: Edge) -> tuple[float, float]:
    y_low, y_high, x_low, slope = edge
    x_high = x_low + (y_high - y_low) * slope
    return min(x_low, x_high), max(x_low, x_high)


class CommuneLocator:
    """Finds the commune containing a WGS84 point; build it once, then call `locate`."""

    def __init__(self, bbox: Box, shape: tuple[int, int], cells: Sequence[str | MixedCell | None]):
        self._min_lon, self._min_lat, self._max_lon, self._max_lat = bbox
        self._nx, self._ny = shape
        self._kx = self._nx / (self._max_lon - self._min_lon)
        self._ky = self._ny / (self._max_lat - self._min_lat)
        self._cells = list(cells)

    @classmethod
    def from_geojson(
        cls, feature_collection: Mapping[str, Any], grid: int = _DEFAULT_GRID
    ) -> CommuneLocator:
        """Index a FeatureCollection of (Multi)Polygons (lon-lat) whose `code` is the INSEE code.

        Features are expected not to overlap; if some do, the answer is still deterministic.
        """
        codes = [str(f["properties"]["code"]) for f in feature_collection["features"]]
        segments = [list(_segments(f["geometry"])) for f in feature_collection["features"]]
        xs = [p[0] for polygon in segments for segment in polygon for p in segment]
        ys = [p[1] for polygon in segments for segment in polygon for p in segment]
        if not xs:
            # No commune loaded yet (empty database): an empty bbox makes every lookup None.
            inf = float("inf")
            return cls((inf, inf, -inf, -inf), (1, 1), [None])
        if min(xs) == max(xs) or min(ys) == max(ys):
            raise ValueError("the feature collection has no polygon with an area")
        min_x, min_y, nx, ny = min(xs), min(ys), grid, grid
        width, height = (max(xs) - min_x) / nx, (max(ys) - min_y) / ny

        def box(col: int, row: int) -> Box:
            x0, y0 = min_x + col * width, min_y + row * height
            return (x0 - _MARGIN, y0 - _MARGIN, x0 + width + _MARGIN, y0 + height + _MARGIN)

        # Which polygons have an edge in each cell, and which cells the outline of the union of
        # all communes crosses: a segment that no other polygon walks the other way is on it.
        owner = {segment: index for index, polygon in enumerate(segments) for segment in polygon}
        touching: dict[int, set[int]] = {}
        on_outline: set[int] = set()
        for index, polygon in enumerate(segments):
            for (ax, ay), (bx, by) in polygon:
                cols = range(max(int((min(ax, bx) - min_x) / width) - 1, 0),
                             min(int((max(ax, bx) - min_x) / width) + 2, nx))  # fmt: skip
                for row in range(max(int((min(ay, by) - min_y) / height) - 1, 0),
                                 min(int((max(ay, by) - min_y) / height) + 2, ny)):  # fmt: skip
                    for col in cols:
                        if _segment_hits_box(((ax, ay), (bx, by)), box(col, row)):
                            touching.setdefault(row * nx + col, set()).add(index)
                            if owner.get(((bx, by), (ax, ay)), index) == index:
                                on_outline.add(row * nx + col)

        # Horizontal edges never cross a horizontal ray, so they are dropped.
        edges = [[_edge(s) for s in polygon if s[0][1] != s[1][1]] for polygon in segments]
        cells: list[str | MixedCell | None] = []
        for row in range(ny):
            _, y0, _, y1 = box(0, row)
            row_edges = [[e for e in polygon if e[0] <= y1 and e[1] >= y0] for polygon in edges]
            # Which polygons contain each cell centre: sweep the crossings of the centre line.
            cy = min_y + (row + 0.5) * height
            crossings = sorted(
                (e[2] + (cy - e[0]) * e[3], index)
                for index, polygon in enumerate(row_edges)
                for e in polygon
                if e[0] <= cy < e[1]
            )
            crossings.append((float("inf"), -1))
            parity, next_crossing = [False] * len(codes), 0
            for col in range(nx):
                while crossings[next_crossing][0] < min_x + (col + 0.5) * width:
                    parity[crossings[next_crossing][1]] ^= True
                    next_crossing += 1
                covering = [index for index, inside in enumerate(parity) if inside]
                bordering = sorted(touching.get(row * nx + col, ()))
                if not bordering:
                    # No border crosses the cell: its centre speaks for the whole cell.
                    cells.append(codes[covering[0]] if covering else None)
                    continue
                # A ray only meets edges on its own side of the cell: cast it towards the side
                # with fewer of them.
                x0, _, x1, _ = box(col, row)
                right = [[e for e in row_edges[i] if _x_span(e)[1] >= x0] for i in bordering]
                left = [[e for e in row_edges[i] if _x_span(e)[0] <= x1] for i in bordering]
                rightward = sum(map(len, right)) <= sum(map(len, left))
                chosen = right if rightward else left
                candidates = [(codes[i], tuple(chosen[n])) for n, i in enumerate(bordering)]
                # A commune covering the whole cell wins when no bordering one matches; inside the
                # union some commune must match, so the last candidate need not even be tested.
                fallback: str | None = None
                if any(index not in bordering for index in covering):
                    fallback = codes[next(i for i in covering if i not in bordering)]
                elif row * nx + col not in on_outline:
                    fallback = candidates.pop()[0]
                cells.append((rightward, tuple(candidates), fallback))
        return cls((min_x, min_y, max(xs), max(ys)), (nx, ny), cells)

    @property
    def bounds(self) -> Box:
        """(min longitude, min latitude, max longitude, max latitude) of every commune."""
        return self._min_lon, self._min_lat, self._max_lon, self._max_lat

    def locate(self, latitude: float, longitude: float) -> str | None:
        """Return the INSEE code of the commune containing the point, None outside all of them."""
        # Written so that a NaN coordinate fails the test and gets None.
        if not (
            self._min_lat <= latitude <= self._max_lat
            and self._min_lon <= longitude <= self._max_lon
        ):
            return None
        col = min(int((longitude - self._min_lon) * self._kx), self._nx - 1)
        row = min(int((latitude - self._min_lat) * self._ky), self._ny - 1)
        cell = self._cells[row * self._nx + col]
        if cell is None or isinstance(cell, str):
            return cell
        rightward, candidates, fallback = cell
        for code, edges in candidates:
            inside = False
            for y_low, y_high, x_low, slope in edges:
                if y_low <= latitude < y_high:
                    x = x_low + (latitude - y_low) * slope
                    # Strict: a point on the edge is on neither side, see `Edge`.
                    if (longitude < x) if rightward else (longitude > x):
                        inside = not inside
            if inside:
                return code
        return fallback


def load_commune_locator(path: Path) -> CommuneLocator:
    """Build a locator from a GeoJSON FeatureCollection file."""
    with path.open(encoding="utf-8") as stream:
        return CommuneLocator.from_geojson(json.load(stream))
