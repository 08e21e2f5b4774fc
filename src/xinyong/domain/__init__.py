"""Plain-Python business rules: no database, no web, no CLI."""
