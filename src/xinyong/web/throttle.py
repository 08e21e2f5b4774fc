"""Abuse limits at the edge: counting per client address and per key, 429 with `Retry-After`.

The counters (`domain/rates.py RateCounter`) live in this process; docs/security.md ("Abuse
limits") says how a deployment with several processes shares or divides the figures. Each run of
refusals is logged (without identifiers) and audited once, at its first refusal: a flood costs
the database one row, not one per refused request.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import time
from collections.abc import Callable

from fastapi import FastAPI
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException
from starlette.requests import Request

from xinyong.domain.rates import Action, RateCounter, RateLimited, RateRules, Who
from xinyong.services import audit
from xinyong.web.errors import problem

log = logging.getLogger("xinyong.abuse")


class Throttle:
    """The process's abuse limits. `monotonic` is the clock the buckets refill by."""

    def __init__(
        self, rules: RateRules, *, secret: str, monotonic: Callable[[], float] = time.monotonic
    ) -> None:
        self.counter = RateCounter(rules)
        self.monotonic = monotonic
        self._secret = secret.encode()

    def client_digest(self, request: Request) -> str:
        """A keyed digest of the client's address: runs from one address can be told apart in
        the log and the audit without the address being kept."""
        host = client_of(request)
        return hmac.new(self._secret, host.encode(), hashlib.sha256).hexdigest()[:12]

    def over(
        self, request: Request, action: Action, *, key: str | None = None
    ) -> RateLimited | None:
        """Count one attempt at `action` by this client (and key); the refusal if it is over."""
        now = self.monotonic()
        try:
            self.counter.take(action, Who.CLIENT, client_of(request), now=now)
            if key is not None:
                self.counter.take(action, Who.KEY, key, now=now)
        except RateLimited as refused:
            return refused
        return None

    def refuse(self, request: Request, refused: RateLimited, *, actor: str) -> HTTPException:
        """Report a refusal (the first of a run) and return the 429 to raise."""
        if refused.first:
            client = self.client_digest(request)
            log.warning(
                "rate limit: %s refused (per %s, client %s, %s), retry after %d s",
                refused.action.value,
                refused.who.value,
                client,
                actor,
                refused.retry_after,
            )
            audit.record_rate_limited(
                request.app.state.platform.uow(),
                action=refused.action.value,
                who=refused.who.value,
                actor=actor,
                client=client,
                retry_after=refused.retry_after,
            )
        return too_many(refused)

    def limit(self, request: Request, action: Action, *, key: str | None = None) -> None:
        """Count one attempt; raise 429 over the limit (for handlers off the event loop)."""
        refused = self.over(request, action, key=key)
        if refused is not None:
            raise self.refuse(request, refused, actor=_actor(key))

    def enforce(self, request: Request, action: Action) -> None:
        """Count one attempt by this client; over the limit, report it and raise the domain's
        RateLimited (a portal page shows it in the reader's language)."""
        refused = self.over(request, action)
        if refused is not None:
            self.refuse(request, refused, actor="anonymous")
            raise refused

    async def refused_scope(self, request: Request, actor: str) -> RateLimited | None:
        """Count a call refused for want of its scope by `actor` (`scope_refusal`, per key).
        None while the caller has refusals left (the caller audits this one as such); else the
        limit it went over, which the caller answers with 429: the run was reported once, at
        its first refusal, so a flood of refused calls costs the audit log one row."""
        try:
            self.counter.take(Action.SCOPE_REFUSAL, Who.KEY, actor, now=self.monotonic())
        except RateLimited as refused:
            if refused.first:
                await run_in_threadpool(self.refuse, request, refused, actor=actor)
            return refused
        return None

    async def limit_async(
        self, request: Request, action: Action, *, key: str | None = None
    ) -> None:
        """As `limit`, on the event loop: only a run's first refusal leaves the loop (to audit)."""
        refused = self.over(request, action, key=key)
        if refused is None:
            return
        if refused.first:
            raise await run_in_threadpool(self.refuse, request, refused, actor=_actor(key))
        raise too_many(refused)


def install(app: FastAPI) -> None:
    """Answer a RateLimited raised anywhere (a use case's own limit, say) as the 429 problem."""

    @app.exception_handler(RateLimited)
    def _limited(request: Request, exc: RateLimited) -> JSONResponse:
        return problem(
            429,
            exc.detail,
            title=exc.title,
            instance=request.url.path,
            headers={"Retry-After": str(exc.retry_after)},
        )


def _actor(key: str | None) -> str:
    return f"key:{key}" if key is not None else "anonymous"


def too_many(refused: RateLimited) -> HTTPException:
    """The 429 problem for a refusal, with `Retry-After` in whole seconds."""
    return HTTPException(429, refused.detail, headers={"Retry-After": str(refused.retry_after)})


def client_of(request: Request) -> str:
    """The client's address as the server sees it (behind a proxy: run the server with
    `--proxy-headers` and `--forwarded-allow-ips` so that this is the original client)."""
    return request.client.host if request.client is not None else "unknown"


def throttle_of(request: Request) -> Throttle:
    throttle: Throttle = request.app.state.throttle
    return throttle
