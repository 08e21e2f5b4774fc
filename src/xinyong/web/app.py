"""The FastAPI application factory."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import HTMLResponse

import xinyong
from xinyong import bootstrap
from xinyong.bootstrap import Platform
from xinyong.config import Settings
from xinyong.web import accesslog, apidocs, console, contract, errors, portal
from xinyong.web.api.v1 import (
    accounts,
    agencies,
    authorisations,
    batches,
    catalog,
    checks,
    deadlines,
    departments,
    exchange,
    feed,
    lists,
    measures,
    objections,
    publication,
    records,
    repairs,
    reports,
    staff,
    subjects,
    tipoffs,
)
from xinyong.web.deps import PUBLIC, KeyCache, SeqReader
from xinyong.web.fastpath import DirectRoutes
from xinyong.web.headers import SecurityHeaders, script_hashes
from xinyong.web.headers import policy as csp
from xinyong.web.limits import BodyLimit, TextScreen
from xinyong.web.portal.pages import page, visitor
from xinyong.web.throttle import Throttle
from xinyong.web.throttle import install as install_throttle

#: Where version 1 of the API lives.
API = "/api/v1"

DESCRIPTION = """
The personal public credit information platform.

Departments submit records through the uniform catalog; every record has a legal basis, a
severity class and a display window computed at acceptance. Authenticate with an API key
(`xinyong keys create`) as `Authorization: Bearer <key>`. Errors are RFC 9457 problem details.
"""


def create_app(settings: Settings | None = None, *, platform: Platform | None = None) -> FastAPI:
    """Build the app on a platform (bootstrap.build from `settings` when none is given): the
    policy is checked now, so a broken file fails at start."""
    platform = platform or bootstrap.build(settings)
    settings = platform.settings
    accesslog.configure(settings.log_level)

    app = FastAPI(
        title="xinyong",
        version=xinyong.__version__,
        description=DESCRIPTION,
        docs_url=None,  # served from packaged files by web/apidocs.py, never a CDN
        redoc_url=None,
        lifespan=_lifespan,
        telemetry={
            "tracing": settings.telemetry,
            "metrics": settings.telemetry,
            "logs": settings.telemetry,
        },
    )
    app.state.platform = platform
    # Authenticated keys are cached until the change log moves; one read of the log's newest
    # sequence number serves a burst of requests (web/deps.py).
    app.state.key_cache = KeyCache()
    app.state.seq_reader = SeqReader(platform.index_source.latest_seq)
    # Abuse limits, counted in this process (web/throttle.py, policy/rates.toml).
    app.state.throttle = Throttle(platform.policy.rates, secret=settings.secret_key)
    errors.install(app, pages={"/console/": console.missing})
    install_throttle(app)
    checks_path = API + checks.router.prefix
    if settings.fast_checks:
        # Departments' checks skip the route table's walk (web/fastpath.py). Added first, so
        # that it runs inside the body limit.
        app.add_middleware(
            DirectRoutes,
            routes={("POST", checks_path): checks.check},
            handlers=app.exception_handlers,
        )
    # Control characters in any text: one 422 for every route, the checks' fast path included,
    # after the body limit (which sits outside it) has counted the body (web/limits.py).
    app.add_middleware(TextScreen)
    app.add_middleware(
        BodyLimit,
        default=settings.max_body_bytes,
        per_path={
            API + records.router.prefix: settings.max_record_bytes,
            checks_path: settings.max_record_bytes,
            # The public's and the login forms are small: a tip-off is at most a few pages.
            **dict.fromkeys(portal.SMALL_FORMS, settings.max_record_bytes),
            **dict.fromkeys(console.SMALL_FORMS, settings.max_record_bytes),
        },
    )
    # CSP, no framing, nosniff, no referrer on every answer, refusals included (web/headers.py).
    inline = script_hashes(apidocs.pages())
    app.add_middleware(
        SecurityHeaders, csp=csp(inline), per_path={"/redoc": csp(inline, compiles=True)}
    )
    if settings.access_log:
        app.add_middleware(accesslog.AccessLog)  # outermost: it times the whole answer

    # The health probe first (load balancers call it often), then the checks.
    app.include_router(_public_routes(platform.policy.catalog.version))
    app.include_router(checks.router, prefix=API)
    api = APIRouter(prefix=API)
    for area in (
        records,
        batches,
        catalog,
        departments,
        subjects,
        lists,
        measures,
        accounts,
        reports,
        authorisations,
        objections,
        repairs,
        feed,
        deadlines,
        exchange,
        publication,
        tipoffs,
        staff,
        agencies,
    ):
        api.include_router(area.router)
    app.include_router(api)
    app.include_router(portal.router)
    app.include_router(console.router)
    apidocs.install(app)
    contract.install(app)  # every status each operation answers, as problem details
    return app


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    """On start-up, start the PDF print workers (they warm up beside the first requests); on
    shutdown, stop them and the query-log writer (every answered check is already logged) and
    release the platform's connections."""
    app.state.platform.start_printing()
    yield
    app.state.platform.close()


def _public_routes(catalog_version: str) -> APIRouter:
    router = APIRouter(tags=["public"])

    @router.get("/healthz", **PUBLIC)
    async def health() -> dict[str, str]:
        """Liveness: the process is up and its policy loaded."""
        return {"status": "ok", "version": xinyong.__version__, "catalog": catalog_version}

    @router.get("/", response_class=HTMLResponse, **PUBLIC)
    async def home(request: Request) -> HTMLResponse:
        """The site's front door, in the language the visitor chose (`?lang=`), as every page."""
        return page(
            request,
            "landing.html",
            chrome=(await visitor(request)).chrome,
            catalog_version=catalog_version,
        )

    return router
