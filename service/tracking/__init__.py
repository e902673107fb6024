"""Following an item without an account: signed tracking tokens and what they allow."""
