"""`python -m tests.benchmarks.photos`: what a photo costs (issue 21).

Three figures, on a 12-megapixel JPEG made here (4,000 x 3,000, noise over gradients so the
encoder works as on a real photo, with a phone's EXIF and GPS block; about 5 MB as sent):

* processing throughput: ``service.photos.processing.process`` (check, decode, turn upright,
  sRGB, two re-encoded copies) in one process on one core, photos/s (best of the rounds);
* memory per upload: the growth of a fresh process's peak resident set while it processes one
  photo, after imports and a warm-up on a small one (Pillow's buffers are C allocations that
  tracemalloc does not see, so the kernel's count is used);
* ``reportCreate`` with one photo at 8 concurrent clients against a served instance pinned to
  one core (``serve --demo``, SQLite): each client uploads the photo (``POST /media/uploads``,
  a new key each time) then submits ``reportCreate`` with its id; p50/p95 of the upload, of
  the submission and of the pair, and pairs/s. The clients run in this process (httpx); with
  300 ms of server CPU per photo, the client's overhead does not weigh.

Like the other benchmarks it prints its figures and exits 0.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import json
import os
import resource
import subprocess
import sys
import time
import uuid
from typing import Any

import httpx
from PIL import Image

from tests.benchmarks.server import data_directory, running_server, split_cpus

SIDE = (4000, 3000)
QUERY = (
    "mutation($input: ReportCreateInput!) { reportCreate(input: $input) "
    "{ report { reference } errors { code } } }"
)


def twelve_megapixel_jpeg() -> bytes:
    """A photo-like 12 MP JPEG: gradients and grain (a flat image would flatter the codec)."""
    width, height = SIDE
    red = Image.linear_gradient("L").resize((width, height))
    green = Image.radial_gradient("L").resize((width, height))
    blue = Image.effect_noise((width, height), 40)
    image = Image.merge("RGB", (red, green, blue))
    grain = Image.effect_noise((width, height), 25).convert("RGB")
    image = Image.blend(image, grain, 0.35)
    exif = Image.Exif()
    exif[0x010F], exif[0x0110], exif[0x0112] = "Apple", "iPhone 15", 6
    exif[0x8825] = {1: "N", 2: (47.0, 28.0, 16.32), 3: "W", 4: (0.0, 33.0, 0.72)}
    out = io.BytesIO()
    image.save(out, "JPEG", quality=92, exif=exif)
    return out.getvalue()


def measure_throughput(photo: bytes, rounds: int) -> dict[str, float]:
    from service.photos.processing import process

    process(photo, max_pixels=50_000_000)  # warm-up (codec tables, first allocations)
    timings = []
    for _ in range(rounds):
        started = time.perf_counter()
        process(photo, max_pixels=50_000_000)
        timings.append(time.perf_counter() - started)
    best = min(timings)
    return {
        "seconds_best": best,
        "seconds_median": sorted(timings)[len(timings) // 2],
        "photos_per_second_per_core": 1 / best,
    }


def _high_water_kb() -> int:
    """This process's peak resident set (VmHWM: unlike getrusage's ru_maxrss, not inherited
    from the parent across fork and exec)."""
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def _peak_child(path: str) -> None:
    """Run in a fresh interpreter: print the peak RSS growth of processing one photo."""
    from service.photos.processing import process
    from tests.photos.files import jpeg_with_gps

    with open(path, "rb") as file:
        data = file.read()  # the upload's bytes, held as the endpoint holds them
    process(jpeg_with_gps(), max_pixels=50_000_000)  # imports and codecs loaded
    before = _high_water_kb()
    process(data, max_pixels=50_000_000)
    after = _high_water_kb()
    print(json.dumps({"peak_before_kb": before, "peak_after_kb": after}))


def measure_memory(photo: bytes) -> dict[str, float]:
    with data_directory() as folder:
        path = folder / "photo.jpg"
        path.write_bytes(photo)
        out = subprocess.run(
            [sys.executable, "-m", "tests.benchmarks.photos", "--memory-child", str(path)],
            capture_output=True,
            check=True,
            text=True,
        ).stdout
    found = json.loads(out.strip().splitlines()[-1])
    return {
        "peak_growth_mb": (found["peak_after_kb"] - found["peak_before_kb"]) / 1000,
        "process_peak_mb": found["peak_after_kb"] / 1000,
        "photo_sent_mb": len(photo) / 1_000_000,
    }


async def _client(
    base: str, photo: bytes, deadline: float, results: list[dict[str, float]]
) -> None:
    async with httpx.AsyncClient(base_url=base, timeout=60) as client:
        while time.perf_counter() < deadline:
            started = time.perf_counter()
            uploaded = await client.post(
                "/media/uploads",
                content=photo,
                headers={"content-type": "image/jpeg", "idempotency-key": f"b-{uuid.uuid4()}"},
            )
            middle = time.perf_counter()
            upload_id = uploaded.json()["uploadId"]
            answer = await client.post(
                "/graphql",
                json={
                    "query": QUERY,
                    "variables": {
                        "input": {
                            "categoryCode": "pothole",
                            "latitude": 47.4712,
                            "longitude": -0.5502,
                            "description": "Nid-de-poule (benchmark)",
                            "idempotencyKey": f"b-{uuid.uuid4()}",
                            "channel": "APP",
                            "photoUploadIds": [upload_id],
                        }
                    },
                },
            )
            ended = time.perf_counter()
            assert answer.json()["data"]["reportCreate"]["errors"] == [], answer.text
            results.append(
                {"upload": middle - started, "create": ended - middle, "pair": ended - started}
            )


def _percentile(values: list[float], percent: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(percent / 100 * (len(ordered) - 1))))]


def measure_served(photo: bytes, clients: int, seconds: float) -> dict[str, Any]:
    server_cpus, client_cpus = split_cpus()
    if client_cpus is not None:
        os.sched_setaffinity(0, client_cpus)
    results: list[dict[str, float]] = []
    with data_directory() as folder, running_server(cpus=server_cpus, data_dir=folder) as server:
        base = f"http://127.0.0.1:{server.port}"

        async def run() -> float:
            started = time.perf_counter()
            deadline = started + seconds
            await asyncio.gather(*(_client(base, photo, deadline, results) for _ in range(clients)))
            return time.perf_counter() - started

        elapsed = asyncio.run(run())
        stored = sum(1 for _ in (folder / "photos").rglob("*.jpg"))
    summary: dict[str, Any] = {"clients": clients, "pairs": len(results), "seconds": elapsed}
    summary["pairs_per_second"] = len(results) / elapsed
    for key in ("upload", "create", "pair"):
        values = [r[key] for r in results]
        summary[f"{key}_p50_ms"] = _percentile(values, 50) * 1000
        summary[f"{key}_p95_ms"] = _percentile(values, 95) * 1000
    summary["files_stored"] = stored
    summary["server_pinned_to"] = sorted(server_cpus) if server_cpus else None
    return summary


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=10, help="processing rounds (default 10)")
    parser.add_argument("--clients", type=int, default=8, help="concurrent clients (default 8)")
    parser.add_argument("--seconds", type=float, default=30.0, help="served run (default 30)")
    parser.add_argument("--quick", action="store_true", help="3 rounds, 10 s served")
    parser.add_argument("--memory-child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.memory_child:
        _peak_child(args.memory_child)
        return 0
    rounds, seconds = (3, 10.0) if args.quick else (args.rounds, args.seconds)
    photo = twelve_megapixel_jpeg()
    print(f"photo: {SIDE[0]} x {SIDE[1]} JPEG with EXIF and GPS, {len(photo) / 1e6:.1f} MB")
    server_cpus, _ = split_cpus()
    everywhere = os.sched_getaffinity(0) if server_cpus is not None else None
    if server_cpus is not None:
        os.sched_setaffinity(0, server_cpus)  # one core, as a worker has
    throughput = measure_throughput(photo, rounds)
    if everywhere is not None:
        os.sched_setaffinity(0, everywhere)
    print(
        f"processing on one core: {throughput['photos_per_second_per_core']:.2f} photos/s "
        f"(best {throughput['seconds_best'] * 1000:.0f} ms, "
        f"median {throughput['seconds_median'] * 1000:.0f} ms)"
    )
    memory = measure_memory(photo)
    print(
        f"memory per upload: +{memory['peak_growth_mb']:.0f} MB peak RSS while processing "
        f"(process peak {memory['process_peak_mb']:.0f} MB)"
    )
    served = measure_served(photo, args.clients, seconds)
    print(
        f"served, {served['clients']} clients, {served['pairs']} upload+reportCreate pairs in "
        f"{served['seconds']:.0f} s ({served['pairs_per_second']:.2f}/s): "
        f"upload p50 {served['upload_p50_ms']:.0f} ms p95 {served['upload_p95_ms']:.0f} ms; "
        f"reportCreate p50 {served['create_p50_ms']:.0f} ms p95 {served['create_p95_ms']:.0f} ms;"
        f" pair p95 {served['pair_p95_ms']:.0f} ms"
    )
    print(json.dumps({"throughput": throughput, "memory": memory, "served": served}, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
