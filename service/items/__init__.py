"""The spine every submission shares: reference, status lifecycle, history, idempotency."""
