"""Nothing one document or one search sends can stop search: a word whoosh's Spanish stemmer
fails on, a stem cache fed failing words, a document that cannot be built or written; and
``/readyz`` says when the indexer is failing or stalled. On both engines."""

from __future__ import annotations

import asyncio
import itertools
import os
import random
import shutil
from collections.abc import AsyncIterator, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlmodel.ext.asyncio.session import AsyncSession
from whoosh import index as whoosh_index
from whoosh.analysis import LanguageAnalyzer

from service.commands.data import print_set_aside, run_reindex
from service.context import Services
from service.outbox import rules as outbox
from service.search import documents
from service.search.analysis import terms
from service.search.documents import BuildContext, SearchDocument
from service.search.factory import open_engine
from service.search.indexer import IndexerLock, run_search_indexer
from service.search.interface import SearchRequest
from service.search.status import read_status
from service.search.whoosh_engine import WhooshEngine, _schema
from service.search.writing import TEXT_FIELDS, field_language
from service.settings import SEARCH_ENGINES, Settings
from tests.support import (
    ONE_ORIGIN_LIMITS,
    data_of,
    operation,
    prepare_database,
    running_service,
    submit_report,
    throwaway_database,
)

pytestmark = pytest.mark.anyio

# whoosh's Spanish stemmer raises IndexError on a word with no vowel before a final « gue ».
STEMMER_FAILS_ON = ("bgue", "ngue", "trgue", "sgue")
SPANISH = "La farola frente al número 12 está rota, bgue ngue trgue sgue desde el lunes."
# (language, description, a word of it to search for)
LATER_REPORTS = [
    ("fr", "Lampadaire éteint devant la boulangerie depuis hier soir.", "boulangerie"),
    ("en", "A fallen tree blocks the cycle path near the river.", "cycle"),
    ("de", "Der Mülleimer am Spielplatz ist seit einer Woche voll.", "Spielplatz"),
    ("ar", "تسرب مياه كبير أمام المدرسة الابتدائية", "المدرسة"),
    ("es", "Hay un bache enorme en la avenida principal.", "bache"),
]


@pytest.fixture(scope="module", params=SEARCH_ENGINES)
def engine_name(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture(scope="module")
def hostile_database(engine_name: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    folder = tmp_path_factory.mktemp("hostile-db")
    with throwaway_database(os.environ.get("TEST_DATABASE_URL"), folder) as url:
        prepare_database(Settings(database_url=url, data_dir=folder))
        yield url


@pytest.fixture
def hostile_settings(hostile_database: str, engine_name: str, tmp_path: Path) -> Settings:
    """A new index for each test (in its own data folder), on the module's database."""
    return Settings(
        search_engine=engine_name,
        database_url=hostile_database,
        data_dir=tmp_path,
        secret_keys=("k" * 32,),
        search_batch_size=50,
        **ONE_ORIGIN_LIMITS,
    )


@pytest.fixture
async def app(hostile_settings: Settings) -> AsyncIterator[tuple[Services, httpx.AsyncClient]]:
    async with running_service(hostile_settings) as (services, client):
        yield services, client
        services.search_engine.close()


async def search_references(client: httpx.AsyncClient, query: str, language: str) -> list[str]:
    """The references a search finds (failing the test on any top-level error)."""
    data = await data_of(client, operation("Search"), {"query": query}, language=language)
    assert data["search"]["errors"] == []
    return [hit["reference"] for hit in data["search"]["hits"]]


async def report(client: httpx.AsyncClient, language: str, description: str) -> str:
    payload = await submit_report(client, language=language, description=description)
    assert payload["errors"] == [], payload
    reference: str = payload["report"]["reference"]
    return reference


async def test_a_report_the_spanish_stemmer_fails_on_does_not_stop_indexing(
    app: tuple[Services, httpx.AsyncClient],
) -> None:
    # given: a Spanish report with words whoosh's stemmer fails on, then reports in every
    # language
    services, client = app
    spanish = await report(client, "es", SPANISH)
    later = [(await report(client, lang, text), lang, word) for lang, text, word in LATER_REPORTS]
    # when
    await services.search_indexer.catch_up()
    # then: everything after it is searchable, and so is the report itself, by any word
    for reference, language, word in later:
        assert reference in await search_references(client, word, language)
    for word in ("farola", *STEMMER_FAILS_ON):
        assert spanish in await search_references(client, word, "es")
    assert services.search_engine.set_aside() == {}


async def test_reindex_succeeds_with_a_word_the_stemmer_fails_on(
    app: tuple[Services, httpx.AsyncClient], hostile_settings: Settings
) -> None:
    # given
    services, client = app
    spanish = await report(client, "es", SPANISH)
    # when: the `reindex` command, into this test's index
    count, _ = await run_reindex(hostile_settings)
    await asyncio.sleep(0.2)  # the app's searcher sees the new index within 100 ms
    # then
    assert count >= 1
    assert spanish in await search_references(client, "bgue", "es")
    assert spanish in await search_references(client, "farolas", "es")


@pytest.mark.parametrize("query", ["bgue", "NGUE", "farola trgue", "sgue bache bgue"])
async def test_searching_for_words_the_stemmer_fails_on_answers(
    app: tuple[Services, httpx.AsyncClient], query: str
) -> None:
    # given
    services, client = app
    spanish = await report(client, "es", SPANISH)
    await services.search_indexer.catch_up()
    # when
    response = await client.post(
        "/graphql",
        json={"query": operation("Search"), "variables": {"query": query}},
        headers={"accept-language": "es"},
    )
    # then
    body = response.json()
    assert response.status_code == 200
    assert "errors" not in body, body["errors"]
    found = [hit["reference"] for hit in body["data"]["search"]["hits"]]
    assert spanish in found or query == "sgue bache bgue"  # « bache » is not in it


def failing_words() -> list[str]:
    """Distinct words the Spanish stemmer raises on: consonants, then « gue »."""
    consonants = "bcdfhjklmnpqrstvwxz"
    return ["".join(p) + "gue" for n in (1, 2, 3) for p in itertools.product(consonants, repeat=n)]


async def test_failed_stems_cannot_poison_the_stem_cache(
    app: tuple[Services, httpx.AsyncClient],
) -> None:
    # given: more distinct words than the stem cache holds (50,000), thousands of them
    # words the stemmer fails on, as searches and reports bring them over time
    services, client = app
    failing = failing_words()
    plain = ["".join(p) for p in itertools.product("aeioulmnrst", repeat=5)][:60_000]
    for start in range(0, len(plain), 5_000):
        terms("es", " ".join(plain[start : start + 5_000] + failing[start // 10 :][:500]))
    # when: a new word in a search, and a new report
    searched = await search_references(client, "zzyzxgue farolas", "es")
    reference = await report(client, "es", "Una farola caída en la plaza mayor, qwrtgue.")
    await services.search_indexer.catch_up()
    # then
    assert searched == []
    assert reference in await search_references(client, "qwrtgue", "es")
    assert reference in await search_references(client, "plaza", "es")
    assert len(failing) > 6_000


@dataclass
class FaultySource:
    """A domain's document source with a bug on some ids: raises while building them, or
    builds a document no engine can write (a lone surrogate in its reference)."""

    raises_on: set[int] = field(default_factory=set)
    unwritable: set[int] = field(default_factory=set)
    ids: list[int] = field(default_factory=list)

    async def build_ids(
        self, session: AsyncSession, ids: Sequence[int], context: BuildContext
    ) -> list[SearchDocument]:
        if self.raises_on.intersection(ids):
            raise RuntimeError("a bug in this source's builder")
        return [self.document(i) for i in ids]

    async def ids_after(self, session: AsyncSession, after: int, limit: int) -> list[int]:
        return [i for i in sorted(self.ids) if i > after][:limit]

    def document(self, entity_id: int) -> SearchDocument:
        reference = f"FAULTY-{entity_id}" + ("\ud800" if entity_id in self.unwritable else "")
        return SearchDocument(
            source="faulty",
            entity_id=entity_id,
            kind="faulty",
            reference=reference,
            language="fr",
            body_code="alm",
            commune_code="49007",
            category_code="",
            status="open",
            created_at=datetime(2026, 11, 1, tzinfo=UTC),
            public_text=f"kiosque numéro{entity_id} renversé",
        )


@pytest.fixture
def faulty(monkeypatch: pytest.MonkeyPatch) -> FaultySource:
    source = FaultySource()
    monkeypatch.setitem(documents._sources, "faulty", source)
    return source


async def announce(services: Services, ids: Sequence[int]) -> None:
    async with services.db.writing() as session:
        for entity_id in ids:
            payload = {"search": {"source": "faulty", "id": entity_id}}
            outbox.append(
                session, "test.faulty", item_id=None, now=services.clock(), payload=payload
            )


def keys_found(services: Services, text: str) -> set[str]:
    """The faulty source's documents a search finds."""
    hits = services.search_engine.search(SearchRequest(text=text)).hits
    return {hit.key for hit in hits if hit.key.startswith("faulty:")}


@pytest.mark.parametrize("fault", ["raises", "unwritable"])
async def test_a_document_that_cannot_be_indexed_is_set_aside_and_the_batch_goes_on(
    app: tuple[Services, httpx.AsyncClient], faulty: FaultySource, fault: str
) -> None:
    # given: a source whose document 2 cannot be built, or cannot be written, between
    # documents that can, and a report after them
    services, client = app
    faulty.ids = [1, 2, 3]
    (faulty.raises_on if fault == "raises" else faulty.unwritable).add(2)
    await announce(services, faulty.ids)
    after = await report(client, "fr", "Kiosque à journaux renversé par le vent.")
    # when
    await services.search_indexer.catch_up()
    # then: the others are indexed; document 2 is left out, recorded, and /readyz shows it
    assert keys_found(services, "renversé") == {"faulty:1", "faulty:3"}
    assert "faulty:2" not in keys_found(services, "numéro2")
    assert after in await search_references(client, "journaux", "fr")
    set_aside = services.search_engine.set_aside()
    assert list(set_aside) == ["faulty:2"]
    assert set_aside["faulty:2"] == "RuntimeError" or fault == "unwritable"  # the engine's
    ready = (await client.get("/readyz")).json()
    assert ready["status"] == "ready"
    assert ready["search"]["setAside"] == {"count": 1, "keys": ["faulty:2"]}


@pytest.mark.parametrize("fault", ["raises", "unwritable"])
async def test_reindex_sets_aside_a_document_that_cannot_be_indexed(
    app: tuple[Services, httpx.AsyncClient],
    faulty: FaultySource,
    hostile_settings: Settings,
    fault: str,
    capsys: pytest.CaptureFixture[str],
) -> None:
    # given
    services, client = app
    faulty.ids = [1, 2, 3]
    (faulty.raises_on if fault == "raises" else faulty.unwritable).add(2)
    reference = await report(client, "fr", "Banc public cassé au square.")
    # when
    count, _ = await run_reindex(hostile_settings)
    await asyncio.sleep(0.2)
    # then
    assert count >= 4
    assert keys_found(services, "renversé") == {"faulty:1", "faulty:3"}
    assert reference in await search_references(client, "square", "fr")
    assert list(services.search_engine.set_aside()) == ["faulty:2"]
    # and `reindex` (as `index --once`) names it for staff
    print_set_aside(hostile_settings)
    assert "set aside (not searchable): faulty:2 (" in capsys.readouterr().out


async def test_a_document_set_aside_leaves_the_record_once_it_is_indexed(
    app: tuple[Services, httpx.AsyncClient], faulty: FaultySource
) -> None:
    # given: document 2 set aside
    services, _ = app
    faulty.ids = [1, 2]
    faulty.raises_on.add(2)
    await announce(services, faulty.ids)
    await services.search_indexer.catch_up()
    assert list(services.search_engine.set_aside()) == ["faulty:2"]
    # when: its builder is fixed and it changes again
    faulty.raises_on.clear()
    await announce(services, [2])
    await services.search_indexer.catch_up()
    # then
    assert services.search_engine.set_aside() == {}
    assert "faulty:2" in keys_found(services, "numéro2")


async def test_readyz_is_503_when_the_indexer_is_stalled(
    app: tuple[Services, httpx.AsyncClient],
) -> None:
    # given: a report, and no indexer running on this host for ten minutes
    services, client = app
    await report(client, "fr", "Poubelle renversée.")
    started = services.clock()
    services.clock = lambda: started + timedelta(minutes=10)
    # when
    stalled = await client.get("/readyz")
    await services.search_indexer.catch_up()
    caught_up = await client.get("/readyz")
    # then
    assert stalled.status_code == 503
    reason = stalled.json()["checks"]["searchIndexer"]
    assert reason.startswith("search index stalled:"), reason
    assert "no search indexer has reported recently" in reason
    assert caught_up.status_code == 200
    assert caught_up.json()["checks"]["searchIndexer"] == "ok"


async def test_readyz_is_503_when_the_indexer_is_failing(
    app: tuple[Services, httpx.AsyncClient], hostile_settings: Settings
) -> None:
    # given: the index's folder replaced by a file (the index cannot be written nor read),
    # and this host's indexer running
    services, client = app
    await report(client, "fr", "Feu tricolore en panne.")
    await services.search_indexer.catch_up()
    await report(client, "fr", "Feu tricolore toujours en panne.")
    folder = Path(services.search_engine.directory)  # type: ignore[attr-defined]
    shutil.rmtree(folder)
    folder.write_text("not an index")
    stop = asyncio.Event()
    lock = IndexerLock(hostile_settings.search_dir / "indexer.lock")
    indexer = asyncio.create_task(run_search_indexer(services.search_indexer, lock, stop, 0.05))
    try:
        for _ in range(600):  # up to 30 s: a loaded CI machine (both database passes at once)
            status = read_status(services.search_status_path)
            if status is not None and status.state == "failing":
                break
            await asyncio.sleep(0.05)
        # when: a minute later
        started = services.clock()
        services.clock = lambda: started + timedelta(minutes=1)
        response = await client.get("/readyz")
    finally:
        stop.set()
        await indexer
    # then
    assert response.status_code == 503
    reason = response.json()["checks"]["searchIndexer"]
    assert reason.startswith("search indexer failing for "), reason


async def test_readyz_stays_ready_while_a_reindex_holds_the_writer(
    app: tuple[Services, httpx.AsyncClient], hostile_settings: Settings
) -> None:
    # given: a `reindex` holds the index's writer (another handle on the same index), so
    # this host's indexer waits for it, while a report has waited ten minutes
    services, client = app
    await report(client, "fr", "Abribus vandalisé.")
    started = services.clock()
    services.clock = lambda: started + timedelta(minutes=10)
    services.search_engine.writer_timeout = 0.2  # type: ignore[attr-defined]
    reindexing = open_engine(hostile_settings.search_engine, hostile_settings.search_dir)
    rebuild = reindexing.rebuild()
    stop = asyncio.Event()
    lock = IndexerLock(hostile_settings.search_dir / "indexer.lock")
    indexer = asyncio.create_task(run_search_indexer(services.search_indexer, lock, stop, 0.05))
    try:
        for _ in range(100):
            status = read_status(services.search_status_path)
            if status is not None and status.state == "waiting":
                break
            await asyncio.sleep(0.05)
        # when
        response = await client.get("/readyz")
    finally:
        stop.set()
        await indexer
        rebuild.cancel()
        reindexing.close()
    # then: ready, saying what the indexer waits for
    assert response.status_code == 200, response.json()
    reason = response.json()["checks"]["searchIndexer"]
    assert reason == "search indexer waiting for the index writer (a reindex?)"


def test_a_whoosh_commit_that_fails_does_not_leave_the_index_locked(tmp_path: Path) -> None:
    # given: whoosh names a new segment with the global `random`: reseeded alike, the
    # second commit picks the first one's name, and fails halfway
    engine = WhooshEngine(tmp_path, writer_timeout=2)
    first, second, third = (FaultySource().document(i) for i in (1, 2, 3))
    random.seed(16)
    engine.apply([first], [], 1)
    random.seed(16)
    with pytest.raises(AssertionError) as failure:
        engine.apply([second], [], 2)
    random.seed()
    # when: the next write, while the failure is kept (as an error reporter or a log
    # handler keeps it, with its traceback and the writer in it)
    engine.apply([third], [], 3)
    # then: it went through (it waited for the lock of a writer never given up, then failed)
    assert failure.value is not None
    assert engine.position() == 3
    assert {hit.key for hit in engine.search(SearchRequest(text="kiosque")).hits} == {
        "faulty:1",
        "faulty:3",
    }
    engine.close()


def earlier_schema() -> Any:
    """The schema indexes were created with before analysis moved out of whoosh: each text
    field analysed by whoosh with its language's stemmer (whoosh's StemFilter)."""
    schema = _schema()
    for name in TEXT_FIELDS:
        language = field_language(name)
        schema[name].analyzer = LanguageAnalyzer("es" if language == "ar" else language)
    return schema


def test_an_index_written_by_an_earlier_version_takes_the_spanish_word(tmp_path: Path) -> None:
    # given: a whoosh index created by an earlier version (its schema is pickled in it)
    whoosh_index.create_in(str(tmp_path), earlier_schema())
    engine = WhooshEngine(tmp_path)
    document = FaultySource().document(7)
    spanish = SearchDocument(
        **{**document.__dict__, "language": "es", "public_text": SPANISH, "reference": "ES-7"}
    )
    # when
    engine.apply([spanish], [], 1)
    # then: written with today's analysis (the word is found as searches analyse it)
    assert engine.position() == 1
    for word in ("farolas", "bgue"):
        assert [hit.key for hit in engine.search(SearchRequest(text=word)).hits] == ["faulty:7"]
    engine.close()
