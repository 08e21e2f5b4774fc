"""`xinyong node` and `xinyong peers`: this platform's exchange identity and the nodes it trusts."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from xinyong.cli import context
from xinyong.cli.context import console
from xinyong.domain.exchange import NodeLevel  # a plain enum: the options' help lists its levels

if TYPE_CHECKING:  # the platform's modules load when a command runs: `--help` stays fast
    from xinyong.db.exchange import SqlExchangeUnitOfWork
    from xinyong.services.exchange import LocalNode

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
