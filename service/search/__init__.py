"""Full-text search: analyzers per language, documents per item kind, the whoosh engine,
the indexer fed by the outbox, and the public and staff ``search`` query."""
