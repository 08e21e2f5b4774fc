"""The person's password, changed from the portal: the current one, then a new one under the rules
registration follows (services/passwords.py). As the API's change (`POST /api/v1/me/password`),
every session and token of the account ends, this one too, and the change is audited; a wrong
current password is audited too and counts against the client's login allowance."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response

from xinyong.domain.errors import DomainError, Invalid, TooManyAttempts
from xinyong.domain.policy import Policy
from xinyong.domain.rates import Action, RateLimited
from xinyong.services import accounts
from xinyong.web.deps import SESSION_COOKIE, PolicyDep, UowDep, person_page
from xinyong.web.portal.pages import (
    PortalRoute,
    Problems,
    Visitor,
    _say,
    guard,
    page,
    problems_of,
    submitted,
)
from xinyong.web.throttle import throttle_of

router = APIRouter(route_class=PortalRoute)

PASSWORD_FIELDS = ("current_password", "new_password", "new_password_again")


def _form(
    request: Request,
    person: Visitor,
    policy: Policy,
    *,
    status: int = 200,
    problems: Problems | None = None,
) -> HTMLResponse:
    """The form; what was typed is never filled in again (passwords)."""
    return page(
        request,
        "password.html",
        status=status,
        private=True,
        chrome=person.chrome,
        problems=problems or Problems(),
        min_password=policy.accounts.min_password_chars,
    )


@router.get("/me/password", response_class=HTMLResponse, **person_page())
async def password_page(request: Request, policy: PolicyDep) -> Response:
    """The form to change the password."""
    person = await guard(request)
    if isinstance(person, Response):
        return person
    return _form(request, person, policy)


@router.post("/me/password", response_class=HTMLResponse, **person_page())
async def change_password(
    request: Request,
    uow: UowDep,
    policy: PolicyDep,
    current_password: Annotated[str, Form(max_length=200)] = "",
    new_password: Annotated[str, Form(max_length=200)] = "",
    new_password_again: Annotated[str, Form(max_length=200)] = "",
    csrf: Annotated[str, Form(max_length=64)] = "",
) -> Response:
    """Change the password: every session of the account ends, this one too."""
    throttle = throttle_of(request)

    def change(person: Visitor) -> None:
        if new_password != new_password_again:
            raise _TypedTwoWays
        account_id = person.caller.account_id if person.caller else None
        throttle.enforce(request, Action.LOGIN)  # a password is verified, as at a login
        accounts.change_password(
            uow, policy, account_id=account_id or 0, current=current_password, new=new_password
        )

    def again(person: Visitor, exc: DomainError) -> Response:
        if isinstance(exc, _TypedTwoWays):
            mismatch = _say(request, "两次输入的新密码不一致。")
            problems = Problems(fields={"new_password_again": mismatch})
            return _form(request, person, policy, status=422, problems=problems)
        refused = _form(
            request,
            person,
            policy,
            status=429 if isinstance(exc, TooManyAttempts) else 422,
            problems=problems_of(request, exc, PASSWORD_FIELDS),
        )
        if isinstance(exc, RateLimited):
            refused.headers["Retry-After"] = str(exc.retry_after)
        return refused

    return await submitted(request, csrf, change, again=again, then=lambda _: _changed(request))


class _TypedTwoWays(Invalid):
    """The new password typed twice, differently: nothing is checked or changed."""

    def __init__(self) -> None:
        super().__init__("new_password_again: the two new passwords differ")


def _changed(request: Request) -> Response:
    """The password changed: the session ended with it."""
    done = page(request, "password_changed.html", private=True, signed_in=False, csrf="")
    done.delete_cookie(SESSION_COOKIE)
    return done
