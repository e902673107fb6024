"""Every table of every domain, gathered so Alembic and tests see the whole metadata."""

from __future__ import annotations


def import_all_models() -> None:
    """Import each domain's models module (registering its tables on the shared metadata)."""
    import service.territory.models  # noqa: F401
