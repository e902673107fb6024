"""Throughput of the commune locator (not a test: timings have no place in the test suite).

Run from the project root: `python -m tests.benchmarks.commune_lookup`.
"""

from __future__ import annotations

import random
import time
from collections.abc import Sequence
from pathlib import Path

from service.territory.geometry import CommuneLocator, load_commune_locator

GEOJSON = Path(__file__).resolve().parents[2] / "fixtures" / "territory" / "communes.geojson"
# Bounding box of the 29 ALM communes in the fixture (min lat, max lat, min lon, max lon).
ALM_BBOX = (47.33446, 47.63797, -0.78706, -0.26877)


def measure_commune_lookups(
    locator: CommuneLocator, points: Sequence[tuple[float, float]], repeat: int = 3
) -> dict[str, float]:
    """Time `locate` over (latitude, longitude) points; keep the best of `repeat` runs."""
    locate = locator.locate
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        for latitude, longitude in points:
            locate(latitude, longitude)
        best = min(best, time.perf_counter() - start)
    return {
        "lookups": float(len(points)),
        "seconds": best,
        "lookups_per_second": len(points) / best,
    }


def random_alm_points(count: int, seed: int = 2026) -> list[tuple[float, float]]:
    min_lat, max_lat, min_lon, max_lon = ALM_BBOX
    rng = random.Random(seed)
    return [(rng.uniform(min_lat, max_lat), rng.uniform(min_lon, max_lon)) for _ in range(count)]


if __name__ == "__main__":
    start = time.perf_counter()
    alm = load_commune_locator(GEOJSON)
    build_ms = (time.perf_counter() - start) * 1000
    result = measure_commune_lookups(alm, random_alm_points(100_000))
    print(f"index built in {build_ms:.0f} ms (including JSON parsing)")
    print(
        f"{result['lookups']:,.0f} random points in the ALM bbox: "
        f"{result['lookups_per_second']:,.0f} lookups/s"
    )
