"""`xinyong node` and `xinyong peers`: this platform's exchange identity and the nodes it trusts."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from xinyong.cli import context
from xinyong.cli.context import console
from xinyong.domain.exchange import NodeLevel  # a plain enum: the options' help lists its levels

if TYPE_CHECKING:  # the platform's modules load when a command runs: `--help` stays fast
    from collections.abc import Iterator, Sequence

    from xinyong.bootstrap import Platform
    from xinyong.db.exchange import SqlExchangeUnitOfWork
    from xinyong.services.exchange import LocalNode
    from xinyong.services.exchange_rounds import RoundFigures
    from xinyong.transport.jetstream import JetStreamTransport

node_app = typer.Typer(help="This platform as a node of the exchange between platforms.")
peers_app = typer.Typer(help="The nodes this one exchanges with, their keys and entitlements.")

LEVELS = ", ".join(level.value for level in NodeLevel)


def _uow() -> SqlExchangeUnitOfWork:
    from sqlalchemy.pool import NullPool

    from xinyong.db.engine import make_engine
    from xinyong.db.exchange import SqlExchangeUnitOfWork
    from xinyong.db.unit_of_work import make_session_factory

    engine = make_engine(context.settings().database_url, poolclass=NullPool)
    return SqlExchangeUnitOfWork(make_session_factory(engine))


def _level(raw: str) -> NodeLevel:
    try:
        return NodeLevel(raw)
    except ValueError:
        context.fail(f"level: one of {LEVELS}")


def _print_node(node: LocalNode) -> None:
    signing, sealing = node.keys.public.as_text()
    i = node.identity
    console.print(f"node {i.code} ({i.level.value}, region {i.region})")
    console.print(f"fingerprint {node.keys.public.fingerprint}")
    typer.echo(f"signing key {signing}")
    typer.echo(f"sealing key {sealing}")


@node_app.command("init")
def init(
    code: Annotated[str, typer.Option(help="This node's code, e.g. GD; unique in the exchange")],
    region: Annotated[str, typer.Option(help="6-digit region code, e.g. 440000")],
    level: Annotated[str, typer.Option(help=f"One of {LEVELS}")],
) -> None:
    """Make this platform a node: generate its signing and sealing keys, print the public ones."""
    from xinyong.domain.envelopes import NodeKeys
    from xinyong.domain.exchange import NodeIdentity
    from xinyong.services import exchange

    with context.domain_errors():
        identity = NodeIdentity(code, region, _level(level))
        node = exchange.init_node(_uow(), identity, NodeKeys.generate(), actor=context.CLI_ACTOR)
    _print_node(node)
    context.errors.print("Give the public keys and the fingerprint to each peer.")


@node_app.command("show")
def show() -> None:
    """Print this node's identity and public keys (never the private ones)."""
    from xinyong.services import exchange

    with context.domain_errors():
        _print_node(exchange.show_node(_uow()))


@peers_app.command("add")
def add(
    code: str,
    region: Annotated[str, typer.Option(help="The peer's 6-digit region code")],
    level: Annotated[str, typer.Option(help=f"One of {LEVELS}")],
    signing_key: Annotated[str, typer.Option(help="The peer's Ed25519 public key (base64)")],
    sealing_key: Annotated[str, typer.Option(help="The peer's X25519 public key (base64)")],
    fingerprint: Annotated[str, typer.Option(help="The fingerprint the peer printed")],
    kind: Annotated[str, typer.Option(help="platform or agency")] = "platform",
    item: Annotated[
        list[str] | None,
        typer.Option(
            help="A catalog item it may receive (repeatable); an agency needs its licence"
        ),
    ] = None,
) -> None:
    """Register a peer with its public keys, checked against the fingerprint it gave."""
    from xinyong.domain.envelopes import PublicKeys
    from xinyong.domain.errors import Invalid
    from xinyong.domain.exchange import Entitlement, NodeIdentity, PeerKind
    from xinyong.services import exchange
    from xinyong.services.exchange import Peer

    with context.domain_errors():
        keys = PublicKeys.from_text(signing_key, sealing_key)
        if keys.fingerprint != fingerprint:
            raise Invalid("the keys do not match the fingerprint: ask the peer again")
        try:
            peer_kind = PeerKind(kind)
        except ValueError:
            raise Invalid("kind: platform or agency") from None
        entitlement = Entitlement(peer_kind, items=frozenset(item) if item else None)
        peer = Peer(NodeIdentity(code, region, _level(level)), keys, entitlement)
        exchange.add_peer(_uow(), peer, actor=context.CLI_ACTOR)
    console.print(f"peer {code} added ({kind}, fingerprint {fingerprint})")


@peers_app.command("list")
def list_peers() -> None:
    """List the peers: code, kind, level, region, fingerprint, items they may receive."""
    from xinyong.services import exchange

    table = Table("code", "kind", "level", "region", "fingerprint", "items", "suspended")
    with context.domain_errors():
        peers = exchange.list_peers(_uow())
    for p in peers:
        items = p.entitlement.items
        table.add_row(
            p.code,
            p.entitlement.kind.value,
            p.identity.level.value,
            p.identity.region,
            p.keys.fingerprint,
            "all" if items is None else " ".join(sorted(items)),
            "yes" if p.entitlement.suspended else "",
        )
    console.print(table)


@peers_app.command("remove")
def remove(code: str) -> None:
    """Remove a peer: it receives nothing more, and nothing from it is accepted."""
    from xinyong.services import exchange

    with context.domain_errors():
        exchange.remove_peer(_uow(), code, actor=context.CLI_ACTOR)
    console.print(f"peer {code} removed")


# --- the exchange at work ----------------------------------------------------------------

exchange_app = typer.Typer(help="Run the exchange between platforms, reconcile, watch it.")


def _transport(platform: Platform) -> JetStreamTransport:
    from xinyong.services import exchange
    from xinyong.transport.jetstream import JetStreamTransport, StreamSettings

    s = platform.settings
    node = exchange.show_node(platform.uow())
    servers = [u.strip() for u in s.nats_servers.split(",") if u.strip()]
    settings = StreamSettings(replicas=s.exchange_replicas)
    return JetStreamTransport(servers, node.identity.code, settings).open()


@exchange_app.command("run")
def run(
    metrics_port: Annotated[
        int | None, typer.Option(help="Serve Prometheus metrics on 127.0.0.1:PORT")
    ] = None,
    once: Annotated[bool, typer.Option(help="One round, then stop")] = False,
) -> None:
    """Relay the outbox and consume every peer, a round each relay interval, answering peers'
    digest and resend requests, until SIGTERM or SIGINT (then the round in hand finishes)."""
    import signal
    import threading

    from xinyong.db.exchange_states import SqlSubjectStates
    from xinyong.db.unit_of_work import SqlUnitOfWork
    from xinyong.services import exchange_rounds as rounds
    from xinyong.services.authorisations import LiveAuthorisations
    from xinyong.services.exchange import Authorisations
    from xinyong.services.inbound import make_apply
    from xinyong.services.outbound import requeue_subjects
    from xinyong.services.reconciliation import answer_digest, answer_resend

    stop = threading.Event()  # set by SIGTERM or SIGINT, even while starting
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    with context.domain_errors():
        p = context.platform()
        transport = _transport(p)
    me = transport.node
    states = SqlSubjectStates(p.sessions, p.policy.list_types)
    transport.serve_digests(lambda request: answer_digest(states, request))
    transport.serve_resends(
        lambda request: answer_resend(
            states, lambda ids: requeue_subjects(p.uow(), p.policy, ids), me, request
        )
    )
    figures = rounds.RoundFigures()
    apply = make_apply(p.policy)

    # Agencies: what their standing and the subjects' authorisations allow (services/authorisations)
    agencies: Authorisations[SqlUnitOfWork] = LiveAuthorisations()

    def round_once() -> None:
        rounds.exchange_round(p.uow, transport, apply, agencies, figures, lags=transport)

    if metrics_port is not None:
        _serve_metrics(metrics_port, p, figures)
    context.errors.print(f"node {me}: exchanging every {p.settings.exchange_interval} s")
    try:
        if once:
            round_once()
        else:
            rounds.run_rounds(round_once, figures, stop, interval=p.settings.exchange_interval)
    finally:
        transport.close()
    console.print(
        f"{figures.rounds} rounds: {figures.relayed} events relayed,"
        f" {sum(figures.outcomes.values())} received"
    )


def _serve_metrics(port: int, platform: Platform, figures: RoundFigures) -> None:
    from prometheus_client import start_http_server
    from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
    from prometheus_client.registry import Collector, CollectorRegistry

    from xinyong.services.exchange_rounds import exchange_status

    def family(
        kind: type[GaugeMetricFamily | CounterMetricFamily],
        name: str,
        doc: str,
        labels: list[str],
        samples: object,
    ) -> Metric:
        metric = kind(f"xinyong_exchange_{name}", doc, labels=labels)
        for key, value in dict(samples).items():  # type: ignore[call-overload]
            if value is not None:
                metric.add_metric(list(key) if isinstance(key, tuple) else [key], value)
        return metric

    class ExchangeCollector(Collector):
        def collect(self) -> Iterator[Metric]:
            s = exchange_status(platform.uow())
            last = {s.node: s.last_seq, **s.handled}
            yield family(
                GaugeMetricFamily,
                "last_seq",
                "Last sequence: ours, or an origin's handled here",
                ["origin"],
                last,
            )
            yield family(
                GaugeMetricFamily,
                "outbox_pending",
                "Changes not relayed yet",
                ["node"],
                {s.node: s.pending},
            )
            yield family(
                GaugeMetricFamily,
                "lag",
                "Messages a peer sent not acknowledged here",
                ["peer"],
                figures.lag,
            )
            yield family(
                CounterMetricFamily,
                "events",
                "Received events by origin and outcome",
                ["origin", "outcome"],
                s.outcomes,
            )
            yield family(
                CounterMetricFamily,
                "refusals",
                "Refused messages by reason",
                ["reason"],
                s.refusals,
            )
            yield family(
                CounterMetricFamily,
                "relayed",
                "Events relayed by this process",
                ["node"],
                {s.node: figures.relayed},
            )
            yield family(
                CounterMetricFamily,
                "transport_errors",
                "Rounds the message engine failed",
                ["node"],
                {s.node: figures.transport_errors},
            )
            yield family(
                GaugeMetricFamily,
                "reconciliation_differing",
                "Subjects differing at the last reconciliation",
                ["peer", "origin"],
                figures.reconciled,
            )

    registry = CollectorRegistry()
    registry.register(ExchangeCollector())
    start_http_server(port, addr="127.0.0.1", registry=registry)


@exchange_app.command("reconcile")
def reconcile(
    peer: str,
    origin: Annotated[
        list[str] | None,
        typer.Option(help="An origin to compare (repeatable); this node and PEER by default"),
    ] = None,
    depth: Annotated[int, typer.Option(help="Tree depth: 2**DEPTH buckets")] = 8,
    repair: Annotated[bool, typer.Option(help="Ask each origin to re-send what differs")] = True,
) -> None:
    """Compare with PEER what each holds of each origin; report the differing subjects (by
    reference, never a number) and have their origin send them again. Exit 1 if any differ."""
    from xinyong.db.exchange_states import SqlSubjectStates
    from xinyong.services.outbound import requeue_subjects
    from xinyong.services.reconciliation import reconcile_and_repair
    from xinyong.transport.jetstream import DigestPeerOverNats

    with context.domain_errors():
        p = context.platform()
        transport = _transport(p)
    me = transport.node
    states = SqlSubjectStates(p.sessions, p.policy.list_types)

    def resend(of: str, refs: Sequence[str]) -> int:
        if of == me:
            return requeue_subjects(p.uow(), p.policy, list(states.subjects(me, refs).values()))
        answer = transport.request_resend(of, {"subjects": list(refs)})
        queued = answer.get("queued")
        return queued if isinstance(queued, int) else 0

    try:
        with context.domain_errors():
            done = reconcile_and_repair(
                states,
                DigestPeerOverNats(transport, peer),
                origin or [me, peer],
                resend,
                depth=depth,
                repair=repair,
            )
    finally:
        transport.close()
    differ = 0
    for r in done:
        result = r.result
        differ += len(result.subjects)
        verdict = "in step" if result.in_step else f"{len(result.subjects)} subjects differ"
        console.print(f"origin {result.origin}: {verdict}; {r.requeued} entities sent again")
        for ref in result.subjects:
            typer.echo(f"  {ref}")
    raise typer.Exit(code=1 if differ else 0)


@exchange_app.command("status")
def status() -> None:
    """This node's sequence, what waits to be relayed, each origin's last sequence handled and
    what its events came to, and the refusals by reason."""
    from xinyong.services.exchange_rounds import exchange_status

    with context.domain_errors():
        s = exchange_status(context.platform().uow())
    console.print(f"node {s.node or '(none)'}: last sequence {s.last_seq}, {s.pending} pending")
    table = Table("origin", "last seq", "applied", "duplicate", "stale", "refused")
    for origin, seq in sorted(s.handled.items()):
        n = {k: v for (o, k), v in s.outcomes.items() if o == origin}
        table.add_row(
            origin,
            str(seq),
            *(str(n.get(k, 0)) for k in ("applied", "duplicate", "stale", "refused")),
        )
    console.print(table)
    for reason, count in sorted(s.refusals.items()):
        console.print(f"refused ({reason}): {count}")


@exchange_app.command("court-import")
def court_import(
    file: Annotated[Path, typer.Argument(help="The court's published list: JSON array or lines")],
) -> None:
    """Import a court's published list of dishonest judgment debtors as identity-review
    candidates, each with the persons it may be and its flags; never as records (a masked
    number identifies nobody). Exit 1 if any row could not be read (each is named)."""
    from xinyong.services.court_candidates import import_court_list

    with context.domain_errors():
        report = import_court_list(
            context.platform().uow(), file.read_text(encoding="utf-8"), actor=context.CLI_ACTOR
        )
    for problem in report.problems:
        context.errors.print(f"row {problem.row}, {problem.field}: {problem.reason}")
    console.print(
        f"{report.candidates} candidates for review: {report.matched} agree with a person held"
        f" here, {report.flagged} flagged; no record was made"
    )
    raise typer.Exit(code=1 if report.problems else 0)
