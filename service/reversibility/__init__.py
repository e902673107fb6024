"""Reversibility: the whole database out in open formats (JSON Lines or CSV per table, a
manifest, a README describing every field), and back into an empty instance."""
