"""The exchange at work: rounds of relaying the outbox and consuming each peer, until told to
stop, and the figures an operator watches (docs/exchange.md, operations).

`run_rounds` is what `xinyong exchange run` runs; `exchange_status` is what the status endpoint
and the metrics show. One round relays everything pending and consumes every peer until its
stream is drained, so a change committed before a round starts reaches every reachable peer in
that round: within one relay interval.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Protocol, TypeVar

from xinyong.domain.exchange import PeerKind
from xinyong.services.exchange import (
    Apply,
    Authorisations,
    ExchangeUnitOfWork,
    Outcome,
    Transport,
    TransportError,
    consume,
    relay_outbox,
)

log = logging.getLogger(__name__)

U = TypeVar("U", bound=ExchangeUnitOfWork)


class NoAuthorisations:
    """A platform that says nothing of agencies (tests of the exchange alone): no agency peer is
    suspended by it, no subject authorised one; `xinyong exchange run` relays with
    `services/authorisations.py LiveAuthorisations`."""

    def is_suspended(self, uow: object, peer: str, *, on: object) -> bool:
        return False

    def is_authorised(self, uow: object, peer: str, change: object, *, on: object) -> bool:
        return False


class Lags(Protocol):
    def lag(self, origin: str) -> int | None:
        """Messages `origin` sent this node that it has not acknowledged (None: unknown)."""
        ...


@dataclass(frozen=True, slots=True)
class ExchangeStatus:
    """Where this node's exchange stands, read from its database."""

    node: str
    last_seq: int  # the last sequence number this node gave a change
    pending: int  # changes not relayed yet
    handled: Mapping[str, int]  # origin → last sequence handled
    outcomes: Mapping[tuple[str, str], int]  # (origin, outcome) → events
    refusals: Mapping[str, int]  # reason → messages
    peers: tuple[str, ...]


def exchange_status(uow: ExchangeUnitOfWork) -> ExchangeStatus:
    with uow:
        node = uow.node.get()
        return ExchangeStatus(
            node=node.identity.code if node else "",
            last_seq=uow.outbox.last_seq(),
            pending=uow.outbox.count_pending(),
            handled=uow.inbox.last_seqs(),
            outcomes=uow.inbox.counts(),
            refusals=uow.inbox.refusal_counts(),
            peers=tuple(p.code for p in uow.peers.list()),
        )


@dataclass(slots=True)
class RoundFigures:
    """What the rounds did since the process started (the metrics' counters)."""

    rounds: int = 0
    relayed: int = 0  # events marked sent
    messages: int = 0  # envelopes published
    duplicates: int = 0
    withheld: int = 0
    transport_errors: int = 0
    outcomes: dict[tuple[str, str], int] = field(default_factory=dict)
    lag: dict[str, int | None] = field(default_factory=dict)
    #: (peer, origin) → subjects that differed at the last reconciliation.
    reconciled: dict[tuple[str, str], int] = field(default_factory=dict)

    def count(self, origin: str, outcome: Outcome, n: int) -> None:
        key = (origin, outcome.value)
        self.outcomes[key] = self.outcomes.get(key, 0) + n


def exchange_round(
    make_uow: Callable[[], U],
    transport: Transport,
    apply: Apply[U],
    authorisations: Authorisations[U],
    figures: RoundFigures,
    *,
    lags: Lags | None = None,
    batch: int = 200,
    timeout: float = 0.2,
) -> None:
    """Relay everything pending, then drain what each platform peer sent this node."""
    while True:
        report = relay_outbox(make_uow(), transport, authorisations, batch=batch)
        figures.relayed += report.events
        figures.messages += report.messages
        figures.duplicates += report.duplicates
        figures.withheld += report.withheld
        if report.failed:  # the rest goes next round, in order; consume meanwhile
            figures.transport_errors += 1
            log.warning("relay stopped: %s", report.failed)
            break
        if report.events < batch:
            break
    with make_uow() as uow:
        peers = [p.code for p in uow.peers.list() if p.entitlement.kind is PeerKind.PLATFORM]
    for peer in peers:
        while True:
            got = consume(make_uow(), transport, peer, apply, batch=batch, timeout=timeout)
            for outcome, n in got.outcomes.items():
                if n:
                    figures.count(peer, outcome, n)
            if got.handled < batch:
                break
        if lags is not None:
            figures.lag[peer] = lags.lag(peer)
    figures.rounds += 1


def run_rounds(
    round_once: Callable[[], None],
    figures: RoundFigures,
    stop: threading.Event,
    *,
    interval: float,
) -> None:
    """Run rounds every `interval` seconds until `stop` is set; a round the message engine
    fails is counted and tried again next time (nothing is lost: see docs/exchange.md)."""
    while not stop.is_set():
        try:
            round_once()
        except TransportError as exc:
            figures.transport_errors += 1
            log.warning("exchange round failed: %s", exc)
        stop.wait(interval)
