"""The outbox: what others must hear about, written in the same transaction as the change."""
