"""A database of its own for the search tests (counts and relevance must not depend on what
other tests submitted), with a realistic corpus, and an app whose index lives in a temp dir."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from service.context import Services
from service.settings import SEARCH_ENGINES, Settings
from tests.support import (
    ONE_ORIGIN_LIMITS,
    PONTS_DE_CE_TOWN_HALL,
    prepare_database,
    running_service,
    submit_report,
    throwaway_database,
)

# (name, language, category, point, description)
CORPUS = [
    (
        "saint_aubin",
        "fr",
        "light_out",
        None,
        "L'éclairage public ne fonctionne plus rue Saint-Aubin depuis trois jours : le "
        "lampadaire devant le numéro 12 clignote puis s'éteint.",
    ),
    (
        "foch",
        "fr",
        "light_out",
        None,
        "Les lampadaires du boulevard Foch restent éteints toute la nuit, c'est dangereux.",
    ),
    (
        "pothole",
        "fr",
        "pothole",
        None,
        "Nid-de-poule profond devant l'arrêt de bus, dangereux pour les vélos.",
    ),
    (
        "dumping",
        "fr",
        "illegal_dumping",
        PONTS_DE_CE_TOWN_HALL,
        "Dépôt sauvage de matelas et de gravats au bout de l'impasse des Tilleuls.",
    ),
    (
        "leak",
        "fr",
        "water_leak",
        None,
        "Fuite d'eau importante sur le trottoir, l'eau coule depuis ce matin.",
    ),
    ("saint_laud", "fr", "graffiti", None, "Tags sur le mur de l'école primaire, rue Saint-Laud."),
    (
        "bridge",
        "en",
        "light_out",
        None,
        "Street lights are broken on the bridge, it is very dark at night.",
    ),
    ("farolas", "es", "light_out", None, "Las farolas de la calle están rotas desde el lunes."),
    (
        "laternen",
        "de",
        "light_out",
        None,
        "Die Straßenlaternen in der Rue Saint-Aubin sind seit Tagen kaputt.",
    ),
    ("arabic", "ar", "light_out", None, "الإنارة العامة معطلة في الشارع منذ أسبوع"),
    (
        "bins",
        "fr",
        "container_full",
        None,
        "Conteneurs à verre pleins, appelez-moi au 06 12 34 56 78 ou jean.dupont@example.org",
    ),
]


@dataclass
class Corpus:
    references: dict[str, str]


@pytest.fixture(scope="module", params=SEARCH_ENGINES)
def engine_name(request: pytest.FixtureRequest) -> str:
    """Every search test runs on both engines (each with a database of its own)."""
    return str(request.param)


@pytest.fixture(scope="module")
def search_database(engine_name: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    folder = tmp_path_factory.mktemp("search-db")
    with throwaway_database(os.environ.get("TEST_DATABASE_URL"), folder) as url:
        prepare_database(Settings(database_url=url, data_dir=folder))
        yield url


@pytest.fixture(scope="module")
def search_settings(
    search_database: str, engine_name: str, tmp_path_factory: pytest.TempPathFactory
) -> Settings:
    return Settings(
        search_engine=engine_name,
        database_url=search_database,
        data_dir=tmp_path_factory.mktemp("search-data"),
        secret_keys=("k" * 32,),
        search_batch_size=7,  # many small batches: ordering and resuming are exercised
        **ONE_ORIGIN_LIMITS,
    )


@pytest.fixture(scope="module")
async def search_app(
    search_settings: Settings,
) -> AsyncIterator[tuple[Services, httpx.AsyncClient, Corpus]]:
    async with running_service(search_settings) as (services, client):
        references = {}
        for name, language, category, point, description in CORPUS:
            overrides = {"categoryCode": category, "description": description}
            if point:
                overrides["point"] = point
            payload = await submit_report(client, language=language, **overrides)
            assert payload["errors"] == [], payload
            references[name] = payload["report"]["reference"]
        await services.search_indexer.catch_up()
        yield services, client, Corpus(references)
        services.search_engine.close()


@pytest.fixture
def search_services(search_app: tuple[Services, httpx.AsyncClient, Corpus]) -> Services:
    return search_app[0]


@pytest.fixture
def search_client(search_app: tuple[Services, httpx.AsyncClient, Corpus]) -> httpx.AsyncClient:
    return search_app[1]


@pytest.fixture
def corpus(search_app: tuple[Services, httpx.AsyncClient, Corpus]) -> Corpus:
    return search_app[2]


@pytest.fixture
def data_dir(search_settings: Settings) -> Path:
    return search_settings.data_dir
