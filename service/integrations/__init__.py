"""Integrations with other systems: API clients (keys) and the Open311 facade."""
