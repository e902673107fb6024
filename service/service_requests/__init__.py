"""Service requests: the catalogue of municipal services with typed questions, and requests."""
