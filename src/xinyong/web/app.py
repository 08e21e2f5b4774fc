"""The FastAPI application factory."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from functools import partial

from fastapi import APIRouter, FastAPI
from fastapi.responses import HTMLResponse

import xinyong
from xinyong.config import Settings, get_settings
from xinyong.db.engine import make_engine
from xinyong.db.listing import SqlIndexSource
from xinyong.db.unit_of_work import SqlUnitOfWork, make_session_factory
from xinyong.domain.policy import load_policy
from xinyong.web import errors, portal
from xinyong.web.api.v1 import cases, catalog, checks, lists, me, records, reviews, subjects
from xinyong.web.deps import PUBLIC, KeyCache, SeqReader
from xinyong.web.direct import DirectRoutes
from xinyong.web.limits import BodyLimit

#: Where version 1 of the API lives.
API = "/api/v1"

DESCRIPTION = """
The personal public credit information platform.

Departments submit records through the uniform catalog; every record has a legal basis, a
severity class and a display window computed at acceptance. Authenticate with an API key
(`xinyong keys create`) as `Authorization: Bearer <key>`. Errors are RFC 9457 problem details.
"""


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the app: engine, policy (checked now: a broken file fails at start), routes."""
    settings = settings or get_settings()
    logging.basicConfig(level=settings.log_level)
    policy = load_policy(settings.policy_dir, catalog_version=settings.catalog_version)
    engine = make_engine(settings.database_url)
    read_engine = make_engine(settings.database_url, reads=True)
    sessions = make_session_factory(engine)

    app = FastAPI(
        title="xinyong",
        version=xinyong.__version__,
        description=DESCRIPTION,
        docs_url="/docs",
        redoc_url=None,
        lifespan=_lifespan,
        telemetry={
            "tracing": settings.telemetry,
            "metrics": settings.telemetry,
            "logs": settings.telemetry,
        },
    )
    app.state.settings = settings
    app.state.policy = policy
    app.state.engine = engine
    app.state.uow_factory = partial(SqlUnitOfWork, sessions)
    # Reads beside the writers (API keys, the listing index) take no write lock on SQLite.
    app.state.read_engine = read_engine
    read_sessions = make_session_factory(read_engine)
    # The clock is read at each call, so that a test that moves app.state.clock moves it here too.
    app.state.read_uow_factory = lambda: SqlUnitOfWork(read_sessions, app.state.clock)
    app.state.clock = _utcnow
    app.state.index_source = SqlIndexSource(read_engine, policy.list_types)
    app.state.key_cache = KeyCache()
    app.state.seq_reader = SeqReader(app.state.index_source.latest_seq)
    errors.install(app)
    # Departments' checks skip the route table's walk (see web/direct.py). Added first, so that
    # it runs inside the body limit.
    checks_path = API + checks.router.prefix
    app.add_middleware(
        DirectRoutes,
        routes={("POST", checks_path): checks.check},
        handlers=app.exception_handlers,
    )
    app.add_middleware(
        BodyLimit,
        default=settings.max_body_bytes,
        per_path={
            API + records.router.prefix: settings.max_record_bytes,
            checks_path: settings.max_record_bytes,
        },
    )

    # The health probe first (load balancers call it often), then the checks.
    app.include_router(_public_routes(policy.catalog.version))
    app.include_router(checks.router, prefix=API)
    api = APIRouter(prefix=API)
    api.include_router(records.router)
    api.include_router(records.batches)
    api.include_router(catalog.router)
    api.include_router(reviews.router)
    api.include_router(lists.router)
    api.include_router(subjects.router)
    api.include_router(me.router)
    api.include_router(cases.router)
    app.include_router(api)
    app.include_router(portal.router)
    return app


def _utcnow() -> datetime:
    return datetime.now(UTC)


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    """On shutdown, stop the query-log writer (every answered check is already logged)."""
    yield
    writer = getattr(app.state, "query_writer", None)
    if writer is not None:
        writer.stop()
    app.state.index_source.close()
    app.state.read_engine.dispose()


def _public_routes(catalog_version: str) -> APIRouter:
    router = APIRouter(tags=["public"])

    @router.get("/healthz", **PUBLIC)
    async def health() -> dict[str, str]:
        """Liveness: the process is up and its policy loaded."""
        return {"status": "ok", "version": xinyong.__version__, "catalog": catalog_version}

    @router.get("/", response_class=HTMLResponse, **PUBLIC)
    def home() -> str:
        return (
            "<!doctype html><html lang='zh'><head><meta charset='utf-8'><title>xinyong 信用</title>"
            "</head><body><h1>xinyong 信用</h1><p>Personal public credit information platform."
            f" Catalog {catalog_version}.</p><p><a href='/portal/'>Portal</a> ·"
            " <a href='/docs'>API documentation</a></p>"
            "</body></html>"
        )

    return router
