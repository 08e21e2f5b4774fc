"""The exchange between platforms, as the credit centre watches it: this node's sequence, what
waits to be relayed, what each origin's events came to, and what was refused."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, cast

from fastapi import APIRouter
from pydantic import BaseModel

from xinyong.domain.access import Scope
from xinyong.domain.keys import ApiKey
from xinyong.services.exchange_rounds import ExchangeStatus, exchange_status
from xinyong.web.deps import UowDep, caller

if TYPE_CHECKING:
    from xinyong.services.exchange import ExchangeUnitOfWork

router = APIRouter(tags=["exchange"])


class OriginPublic(BaseModel):
    origin: str
    last_seq: int  # the last of its sequence numbers this node handled
    outcomes: dict[str, int]  # applied, duplicate, stale, refused


class ExchangeStatusPublic(BaseModel):
    node: str  # empty: this platform is no exchange node
    last_seq: int
    pending: int  # changes committed here and not yet relayed
    peers: list[str]
    origins: list[OriginPublic]
    refusals: dict[str, int]  # by reason

    @classmethod
    def from_domain(cls, s: ExchangeStatus) -> ExchangeStatusPublic:
        origins = sorted({o for o, _ in s.outcomes} | set(s.handled))
        return cls(
            node=s.node,
            last_seq=s.last_seq,
            pending=s.pending,
            peers=list(s.peers),
            origins=[
                OriginPublic(
                    origin=o,
                    last_seq=s.handled.get(o, 0),
                    outcomes={k: n for (origin, k), n in s.outcomes.items() if origin == o},
                )
                for o in origins
            ],
            refusals=dict(s.refusals),
        )


@router.get("/exchange/status")
def status(uow: UowDep, key: Annotated[ApiKey, caller(Scope.AUDIT_READ)]) -> ExchangeStatusPublic:
    """This node in the exchange between platforms: its last sequence number, the changes not
    yet relayed, each origin's last sequence handled here and what its events came to, and the
    refusals by reason. Lag per peer (from the message engine) is in `xinyong exchange run`'s
    metrics."""
    # The SQL unit of work carries the exchange's repositories beside the platform's.
    return ExchangeStatusPublic.from_domain(exchange_status(cast("ExchangeUnitOfWork", uow)))
