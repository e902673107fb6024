"""Where to get help: the places that help residents with digital procedures."""
