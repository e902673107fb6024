"""Every table of every domain, gathered so Alembic and tests see the whole metadata."""

from __future__ import annotations


def import_all_models() -> None:
    """Import each domain's models module (registering its tables on the shared metadata)."""
    import service.help_places.models  # noqa: F401
    import service.instance.models  # noqa: F401
    import service.integrations.models  # noqa: F401
    import service.items.models  # noqa: F401
    import service.mail.models  # noqa: F401
    import service.moderation.models  # noqa: F401
    import service.outbox.models  # noqa: F401
    import service.photos.models  # noqa: F401
    import service.privacy.models  # noqa: F401
    import service.routing.models  # noqa: F401
    import service.sensors.models  # noqa: F401
    import service.service_requests.models  # noqa: F401
    import service.staff.models  # noqa: F401
    import service.territory.models  # noqa: F401
    import service.tracking.models  # noqa: F401
    import service.trends.models  # noqa: F401
