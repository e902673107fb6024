"""Routing: categories, competences, which body handles an item, and how it receives it."""
