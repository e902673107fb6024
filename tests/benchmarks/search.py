"""Search latency and indexing throughput at scale (not a test: timings are noisy here).

Run from the project root:
`python -m tests.benchmarks.search --items 100000 [--queries 200] [--dir /tmp/bench-search]
[--engines whoosh,tantivy] [--reuse]`.

It writes synthetic French reports (realistic vocabulary, Zipf-like word frequencies, street
and commune names, 5 % in en/es/de/ar) into each engine of the service (whoosh, and tantivy
when installed: `pip install -e '.[tantivy]'`) through the same documents and analyzers the
service uses, then times searches through the engine (the work one `search` request does,
minus HTTP and GraphQL) for four classes: rare terms, common terms (words in most items),
3-word queries, and typos (fuzzy fallback); each with and without facets. The same queries
run on SQLite FTS5 (unicode61 remove_diacritics, bm25) as a yardstick.
"""

from __future__ import annotations

import argparse
import importlib.util
import random
import shutil
import sqlite3
import statistics
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from service.search.documents import SearchDocument
from service.search.factory import open_engine
from service.search.interface import SearchEngine, SearchRequest

COMMON = "rue devant depuis problème trottoir".split()  # ~every item has two of them
VOCABULARY = (
    "lampadaire éclairage éteint nid-de-poule chaussée dangereux vélo poubelle conteneur "
    "verre plein débordé dépôt sauvage matelas gravats fuite eau canalisation tag graffiti "
    "mur école banc cassé abribus arbre branche tombé feuilles caniveau bouché odeur bruit "
    "nuit voiture stationnement gênant passage piéton panneau arraché marquage effacé "
    "parc pelouse jeux enfants toboggan grillage chien déjections trou regard plaque "
    "bouche égout inondation pluie neige verglas sel signalisation feu tricolore panne"
).split()
STREETS = [
    "Saint-Aubin",
    "Saint-Laud",
    "Foch",
    "Bressigny",
    "Lionnaise",
    "Plantagenêt",
    "de la Roë",
    "Toussaint",
    "Lenepveu",
    "Voltaire",
    "des Lices",
    "Parcheminerie",
]
COMMUNES = ["49007", "49015", "49246", "49099", "49214", "49353", "49129", "49223"]
CATEGORIES = ["pothole", "light_out", "illegal_dumping", "graffiti", "water_leak", "other"]
STATUSES = ["submitted", "acknowledged", "in_progress", "resolved", "closed"]


def synthetic(count: int, seed: int = 7) -> list[SearchDocument]:
    rng = random.Random(seed)
    weights = [1 / (rank + 1) for rank in range(len(VOCABULARY))]
    start = datetime(2024, 1, 1, tzinfo=UTC)
    documents = []
    for number in range(1, count + 1):
        words = rng.choices(VOCABULARY, weights, k=rng.randint(8, 25))
        words += rng.sample(COMMON, 2)
        street = rng.choice(STREETS)
        text = f"{' '.join(words)} rue {street} n°{rng.randint(1, 200)}"
        documents.append(
            SearchDocument(
                source="item",
                entity_id=number,
                kind="report",
                reference=f"ALM-2026-{number:06d}",
                language="fr" if rng.random() > 0.05 else rng.choice(["en", "es", "de", "ar"]),
                body_code="alm-voirie",
                commune_code=rng.choice(COMMUNES),
                category_code=rng.choice(CATEGORIES),
                status=rng.choice(STATUSES),
                created_at=start + timedelta(minutes=number),
                titles={"fr": "Nid-de-poule", "en": "Pothole"},
                place=f"Angers rue {street}",
                public_text=text,
                public_answers=["Intervention programmée."] if number % 5 == 0 else [],
                staff_texts=[text],
            )
        )
    return documents


QUERIES = {
    "rare": ["toboggan", "verglas", "parcheminerie", "canalisation", "grillage"],
    "common": ["rue", "trottoir", "problème", "devant", "depuis"],
    "3-word": [
        "lampadaire rue Foch",
        "dépôt sauvage matelas",
        "fuite eau trottoir",
        "nid-de-poule chaussée dangereux",
        "poubelle verre pleine",
    ],
    "typo": ["lampadiare", "matelat sauvaje", "canalisasion"],
}


def percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    return statistics.median(ordered) * 1000, ordered[int(len(ordered) * 0.95) - 1] * 1000


def _engines(args: argparse.Namespace) -> list[str]:
    wanted = [name.strip() for name in args.engines.split(",") if name.strip()]
    if "tantivy" in wanted and importlib.util.find_spec("tantivy") is None:
        print("tantivy: not installed (pip install -e '.[tantivy]'), skipped")
        wanted.remove("tantivy")
    return wanted


def _open(name: str, directory: Path) -> SearchEngine:
    engine = open_engine(name, directory / name)
    engine.result_cache = 0  # type: ignore[attr-defined]  # time the search, not the cache
    return engine


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--items", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=100, help="per class and variant")
    parser.add_argument("--dir", type=Path, default=Path("/tmp/bench-search"))
    parser.add_argument("--engines", default="whoosh,tantivy")
    parser.add_argument(
        "--reuse", action="store_true", help="query the indexes a previous run left in --dir"
    )
    args = parser.parse_args()
    names = _engines(args)
    if not args.reuse:
        shutil.rmtree(args.dir, ignore_errors=True)
        build(names, args)
    measure({name: _open(name, args.dir) for name in names}, args)


def build(names: list[str], args: argparse.Namespace) -> None:
    documents = synthetic(args.items)
    for name in names:
        engine = _open(name, args.dir)
        started = time.perf_counter()
        writer = engine.rebuild()
        for offset in range(0, len(documents), 1000):
            writer.add(documents[offset : offset + 1000])
        writer.commit(len(documents))
        seconds = time.perf_counter() - started
        files = (args.dir / name).rglob("*")
        size = sum(f.stat().st_size for f in files if f.is_file()) / 2**20
        print(
            f"{name}: indexed {args.items:,} items in {seconds:.0f} s "
            f"({args.items / seconds:,.0f}/s), index {size:.0f} MiB"
        )
        started = time.perf_counter()
        engine.apply(documents[:100], [], len(documents) + 1)
        seconds = time.perf_counter() - started
        print(f"{name}: one indexer batch of 100 changed items: {seconds:.2f} s")
        engine.close()

    fts = sqlite3.connect(args.dir / "fts.db")
    fts.execute(
        "CREATE VIRTUAL TABLE doc USING fts5(body, commune UNINDEXED, status UNINDEXED, "
        "tokenize='unicode61 remove_diacritics 2')"
    )
    started = time.perf_counter()
    fts.executemany(
        "INSERT INTO doc (rowid, body, commune, status) VALUES (?, ?, ?, ?)",
        ((d.entity_id, d.place + " " + d.public_text, d.commune_code, d.status) for d in documents),
    )
    fts.commit()
    print(f"fts5: indexed in {time.perf_counter() - started:.0f} s")
    fts.close()


def measure(engines: dict[str, SearchEngine], args: argparse.Namespace) -> None:
    fts = sqlite3.connect(args.dir / "fts.db")
    print(f"{'class':8} {'engine':22} {'p50 ms':>8} {'p95 ms':>8} {'hits (first q)':>15}")
    rng = random.Random(1)
    for name, queries in QUERIES.items():
        for engine_name, engine in engines.items():
            for facets in (False, True):
                samples = []
                first_total = 0
                for number in range(args.queries):
                    query = (
                        queries[number % len(queries)]
                        if number < len(queries)
                        else rng.choice(queries)
                    )
                    t0 = time.perf_counter()
                    result = engine.search(SearchRequest(text=query, limit=20, facets=facets))
                    samples.append(time.perf_counter() - t0)
                    if number == 0:
                        first_total = result.total
                p50, p95 = percentiles(samples)
                label = engine_name + (" + facets" if facets else "")
                print(f"{name:8} {label:22} {p50:8.1f} {p95:8.1f} {first_total:15,}")
        samples = []
        for _ in range(args.queries):
            query = rng.choice(queries)
            match = " AND ".join(f'"{w}"' for w in query.replace("-", " ").split())
            t0 = time.perf_counter()
            rows = fts.execute(
                "SELECT rowid, bm25(doc) FROM doc WHERE doc MATCH ? ORDER BY bm25(doc) LIMIT 20",
                (match,),
            ).fetchall()
            fts.execute(
                "SELECT status, count(*) FROM doc WHERE doc MATCH ? GROUP BY status", (match,)
            ).fetchall()
            samples.append(time.perf_counter() - t0)
            del rows
        p50, p95 = percentiles(samples)
        print(f"{name:8} {'fts5 (+ status facet)':22} {p50:8.1f} {p95:8.1f}")
    for engine in engines.values():
        engine.close()


if __name__ == "__main__":
    main()
