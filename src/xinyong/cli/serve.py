"""`xinyong serve`: the HTTP API and the portal."""

from __future__ import annotations

import copy
from typing import Annotated, Any

import typer

#: uvicorn builds the app in each worker from the environment's settings.
APP_FACTORY = "xinyong.web.app:create_app"


def serve(
    host: Annotated[str, typer.Option()] = "127.0.0.1",
    port: Annotated[int, typer.Option()] = 8000,
    workers: Annotated[int, typer.Option(min=1)] = 1,
) -> None:
    """Serve the HTTP API (run `xinyong db upgrade` first)."""
    serve_app(host, port, workers=workers)


def serve_app(host: str, port: int, *, workers: int) -> None:
    import uvicorn  # only the serving commands need the server

    uvicorn.run(
        APP_FACTORY,
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level="info",
        log_config=log_config(),
    )


def log_config() -> dict[str, Any]:
    """uvicorn's logging, with every handler redacting identifiers (the access log's paths, a
    traceback's database error): docs/security.md."""
    from uvicorn.config import LOGGING_CONFIG

    config: dict[str, Any] = copy.deepcopy(LOGGING_CONFIG)
    config["filters"] = {"redact": {"()": "xinyong.web.errors.RedactIdentifiers"}}
    for handler in config["handlers"].values():
        handler["filters"] = ["redact"]
    return config
