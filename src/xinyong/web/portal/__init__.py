"""The portal: server-rendered pages for people and the public, in one language at a time.

`pages.py` holds what every page shares (rendering, the signed-in person, form tokens, errors in
the page's language); the pages themselves: `account.py` (front page, registration, login),
`file.py` (the person's file), `cases.py` (objections and repairs), `rights.py` (defences,
refusals, authorisations, the query log), `password.py` (changing the password) and `public.py`
(search, exemplars, criteria, measures, tip-offs). What a person and the public can do, page by
page: docs/portal.md.
"""

from __future__ import annotations

from fastapi import APIRouter

from xinyong.web.portal import account, cases, file, password, public, rights

router = APIRouter(prefix="/portal", tags=["portal (HTML)"])
for pages_of in (account, file, cases, rights, password, public):
    router.include_router(pages_of.router)

#: Forms anyone may post, whose bodies are small (web/app.py limits them to a single record's size).
SMALL_FORMS = (
    "/portal/login",
    "/portal/register",
    "/portal/me/password",
    "/portal/public/search",
    "/portal/public/tipoff",
)

__all__ = ["SMALL_FORMS", "router"]
