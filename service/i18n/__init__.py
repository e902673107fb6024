"""Languages: locale negotiation, gettext catalogs compiled from locales/, babel formatting."""
