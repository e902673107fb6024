"""Which search engine serves: the one the settings name (``SERVICE_SEARCH_ENGINE``)."""

from __future__ import annotations

from pathlib import Path

from service.search.interface import SearchEngine
from service.search.whoosh_engine import WhooshEngine


def open_engine(name: str, search_dir: Path) -> SearchEngine:
    """The engine the settings name, over its own directory (switching engines never mixes
    their files; `reindex` fills a new one)."""
    if name == "tantivy":
        try:
            from service.search.tantivy_engine import TantivyEngine
        except ImportError as error:
            raise RuntimeError(
                "SERVICE_SEARCH_ENGINE=tantivy needs the tantivy package: pip install '.[tantivy]'"
            ) from error
        return TantivyEngine(search_dir / "tantivy")
    return WhooshEngine(search_dir / "index")
