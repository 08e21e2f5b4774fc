"""HTTP entry point: the JSON API (and, later, the portal), thin over the services."""
