"""Trends for council members: daily roll-ups fed by the outbox, k-anonymous indicators."""
