"""The API's documentation pages, `/docs` (Swagger UI) and `/redoc` (ReDoc), from packaged files.

Both tools' JavaScript and CSS are vendored in `web/static/` with their licences (see
docs/dependencies.md); nothing is fetched from a CDN, so the pages work on a closed network.
The portal's own stylesheet and the site's icon are served from the same folder; the icon
also at `/favicon.ico`, where browsers look when a page names none.
"""

from __future__ import annotations

from functools import cache
from importlib.resources import files

from fastapi import APIRouter, FastAPI
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import HTMLResponse, Response
from fastapi.staticfiles import StaticFiles

from xinyong.web.deps import PUBLIC

#: Where the packaged files are served.
STATIC = "/static"

router = APIRouter(tags=["public"], include_in_schema=False)


@router.get("/docs", response_class=HTMLResponse, **PUBLIC)
def swagger_ui() -> HTMLResponse:
    return get_swagger_ui_html(
        openapi_url="/openapi.json",
        title="xinyong API",
        swagger_js_url=f"{STATIC}/swagger-ui/swagger-ui-bundle.js",
        swagger_css_url=f"{STATIC}/swagger-ui/swagger-ui.css",
        swagger_favicon_url=f"{STATIC}/swagger-ui/favicon-32x32.png",
        # No validator badge: it would send the schema to swagger.io. The tags start collapsed:
        # a hundred-odd operations expanded at once are too many to read, and Swagger UI did
        # not finish rendering them all in one go (tests/browser/test_apidocs.py opens each).
        swagger_ui_parameters={"validatorUrl": None, "docExpansion": "none"},
    )


@router.get("/redoc", response_class=HTMLResponse, **PUBLIC)
def redoc() -> HTMLResponse:
    return get_redoc_html(
        openapi_url="/openapi.json",
        title="xinyong API",
        redoc_js_url=f"{STATIC}/redoc/redoc.standalone.js",
        redoc_favicon_url=f"{STATIC}/swagger-ui/favicon-32x32.png",
        with_google_fonts=False,
    )


@cache
def _icon() -> bytes:
    return files("xinyong.web").joinpath("static", "favicon.svg").read_bytes()


@router.get("/favicon.ico", **PUBLIC)
def favicon() -> Response:
    """The site's icon (an SVG, which browsers take whatever the address's ending)."""
    return Response(
        _icon(), media_type="image/svg+xml", headers={"Cache-Control": "public, max-age=86400"}
    )


def pages() -> list[str]:
    """Both pages' HTML, as served (their inline start-up script is hashed into the CSP)."""
    return [bytes(swagger_ui().body).decode(), bytes(redoc().body).decode()]


def install(app: FastAPI) -> None:
    """Serve the packaged static files and the two documentation pages."""
    app.mount(STATIC, StaticFiles(packages=[("xinyong.web", "static")]), name="static")
    app.include_router(router)
