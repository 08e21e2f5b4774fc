"""Synthetic data for demos, tests and benchmarks: a population's department files (`population`)
and the demo's listings and accounts (`demo`). A tool beside the platform, not a use case: it
calls the services as a department or a person would."""
