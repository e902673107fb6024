"""Reports (signalements): problems located in public space."""
