"""Synthetic data for demos, tests and benchmarks: a population's department files (`population`)
and the demo's listings and accounts (`demo`). A tool beside the platform, not a use case: it
calls the services as a department or a person would.

The generator's word lists and figures are data, in `data/*.toml`, read once by `tables`. The code
that draws from them: `places`, `people` and `organisations` (subjects), `world` (which records a
subject has, and each record), `plans`, `values` and `texts` (a record's fields), `documents`
(document numbers), `files` (the batch files).
"""
