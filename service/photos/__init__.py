"""Photos on items: uploaded once, re-encoded without metadata, moderated, served, erased."""
