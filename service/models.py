"""Every table of every domain, gathered so Alembic and tests see the whole metadata."""

from __future__ import annotations


def import_all_models() -> None:
    """Import each domain's models module (registering its tables on the shared metadata)."""
    import service.help_places.models
    import service.instance.models
    import service.integrations.models
    import service.items.models
    import service.mail.models
    import service.moderation.models
    import service.outbox.models
    import service.photos.models
    import service.privacy.models
    import service.routing.models
    import service.sensors.models
    import service.service_requests.models
    import service.staff.models
    import service.territory.models
    import service.tracking.models
    import service.trends.models  # noqa: F401
