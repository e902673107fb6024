"""Privacy tests count and purge: each gets a database of its own (as report listings do)."""

from __future__ import annotations

from tests.reports.conftest import fresh_client, fresh_running, fresh_services, fresh_settings

__all__ = ["fresh_client", "fresh_running", "fresh_services", "fresh_settings"]
