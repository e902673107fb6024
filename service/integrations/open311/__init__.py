"""Open311 GeoReport v2: a REST facade over reports and service requests."""
