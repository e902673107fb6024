"""Personal data: contact details and consents, kept apart and never public."""
