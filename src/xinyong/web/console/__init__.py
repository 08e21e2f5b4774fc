"""The consoles: server-rendered pages for department and credit-centre staff, one language at a
time, behind a password and a time-based code (services/staff.py).

`pages.py` holds what every page shares (the signed-in user, rendering, form tokens, the guard
that refuses and audits a page a role may not open, CSV downloads); `login.py` the two-step
login; `home.py` the front page; `batches.py`, `checks.py`, `listings.py` and `cases.py` a
department's work (the centre's too, for cases); `centre.py` the centre's queues and statistics,
drawn by `charts.py`; `candidates.py` the centre's review of the court's published list. What
each role can do, page by page: docs/consoles.md.
"""

from __future__ import annotations

from fastapi import APIRouter

from xinyong.web.console import (
    batches,
    candidates,
    cases,
    centre,
    checks,
    home,
    listings,
    login,
)
from xinyong.web.console.pages import missing

router = APIRouter(prefix="/console", tags=["consoles (HTML)"])
for pages_of in (home, login, batches, checks, listings, cases, centre, candidates):
    router.include_router(pages_of.router)

#: Forms anyone may post, whose bodies are small (web/app.py limits them to a record's size).
SMALL_FORMS = ("/console/login", "/console/login/code")

__all__ = ["SMALL_FORMS", "missing", "router"]
