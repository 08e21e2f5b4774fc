"""`xinyong serve`: the HTTP API and the portal."""

from __future__ import annotations

from typing import Annotated

import typer

#: uvicorn builds the app in each worker from the environment's settings.
APP_FACTORY = "xinyong.web.app:create_app"


def serve(
    # config.SERVE_HOST and SERVE_PORT (`--help` loads no settings; a test keeps them equal)
    host: Annotated[str, typer.Option()] = "127.0.0.1",
    port: Annotated[int, typer.Option()] = 8000,
    workers: Annotated[int, typer.Option(min=1)] = 1,
) -> None:
    """Serve the HTTP API (run `xinyong db upgrade` first). A person's report prints links to
    XINYONG_PUBLIC_URL, or else to the address served here."""
    serve_app(host, port, workers=workers)


def serve_app(host: str, port: int, *, workers: int) -> None:
    import uvicorn  # only the serving commands need the server

    from xinyong.cli.context import console
    from xinyong.config import WILDCARD_HOSTS, bind_public_url, served_at

    public = bind_public_url(host, port)
    console.print(f"a person's report links to {public}", highlight=False)
    if host in WILDCARD_HOSTS and public == served_at(host, port):
        console.print(
            f"note: {host} is every interface, an address no link can name: set"
            " XINYONG_PUBLIC_URL to the one people reach the platform at (docs/configuration.md)",
            highlight=False,
        )

    # The app's logging (JSON lines through a queue, web/accesslog.py, set up by `create_app`)
    # in place of uvicorn's own, whose access log formats and flushes a line on the event loop
    # for every request.
    uvicorn.run(
        APP_FACTORY,
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level="info",
        log_config=None,
        access_log=False,
    )
