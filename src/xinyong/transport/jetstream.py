"""The exchange's transport on NATS JetStream, behind the synchronous `Transport` port.

Each node owns one stream, `XY_<node>`, on subjects `xy.<node>.events.<recipient>`; an event is
published once per recipient with the message id `<origin>.<seq>.<recipient>`, which the stream
deduplicates within its duplicate window. A receiver reads with one durable pull consumer per
origin, `to_<receiver>`, filtered to its own subject, and acknowledges explicitly.

nats-py is asyncio; the services are synchronous. The transport runs one event loop in a thread
of its own and every call waits for its coroutine there: the boundary is this module alone.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import json
import threading
from collections.abc import Callable, Coroutine, Mapping, Sequence
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Self, TypeVar

import nats
import nats.errors
import nats.js.errors
from nats.aio.client import Client
from nats.aio.msg import Msg
from nats.js import JetStreamContext
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy, StorageType, StreamConfig

from xinyong.domain.exchange import check_node_code
from xinyong.domain.merkle import MerkleTree
from xinyong.services.exchange import Published, TransportError

T = TypeVar("T")

#: What the transport turns into TransportError: the engine unreachable, without quorum, slow.
_FAILURES = (nats.errors.Error, asyncio.TimeoutError, concurrent.futures.TimeoutError, OSError)


def stream_name(node: str) -> str:
    return f"XY_{check_node_code(node)}"


def events_subject(origin: str, recipient: str = ">") -> str:
    return f"xy.{origin}.events.{recipient}"


def digest_subject(node: str) -> str:
    return f"xy.{node}.digest"


def resend_subject(node: str) -> str:
    return f"xy.{node}.resend"


@dataclass(frozen=True, slots=True)
class StreamSettings:
    """How a node's stream keeps its messages.

    `replicas`: copies kept by a cluster (R3 survives one lost server); `duplicate_window`:
    seconds during which a repeated message id is dropped; `ack_wait`: seconds before an
    unacknowledged message is delivered again.
    """

    replicas: int = 1
    duplicate_window: float = 24 * 3600
    ack_wait: float = 30.0
    request_timeout: float = 5.0


class JetStreamDelivery:
    """One message fetched from a peer's stream."""

    def __init__(self, transport: JetStreamTransport, msg: Msg) -> None:
        self._transport = transport
        self._msg = msg
        metadata = msg.metadata
        self.data: bytes = msg.data
        self.stream_seq: int = metadata.sequence.stream
        self.delivered: int = metadata.num_delivered

    def ack(self) -> None:
        """Acknowledge, waiting for the server's confirmation."""
        self._transport._run(self._msg.ack_sync(timeout=self._transport.settings.request_timeout))


class JetStreamTransport:
    """A node's connection to a JetStream cluster: its own stream, its consumers of others."""

    def __init__(
        self,
        servers: Sequence[str],
        node: str,
        settings: StreamSettings | None = None,
    ) -> None:
        self.servers = list(servers)
        self.node = check_node_code(node)
        self.settings = settings or StreamSettings()
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(
            target=self._loop.run_forever, name=f"jetstream-{node}", daemon=True
        )
        self._nc: Client | None = None
        self._js: JetStreamContext | None = None
        self._pulls: dict[str, JetStreamContext.PullSubscription] = {}

    # -- the sync/async boundary --

    def _run(self, coro: Coroutine[Any, Any, T], timeout: float | None = None) -> T:
        if not self._thread.is_alive():
            coro.close()
            raise TransportError("the transport is not open")
        future = asyncio.run_coroutine_threadsafe(coro, self._loop)
        try:
            return future.result(timeout or self.settings.request_timeout * 3)
        except _FAILURES as exc:
            future.cancel()
            raise TransportError(f"{type(exc).__name__}: {exc}") from exc

    @property
    def js(self) -> JetStreamContext:
        if self._js is None:
            raise TransportError("the transport is not open")
        return self._js

    # -- lifecycle --

    def open(self) -> Self:
        """Connect (reconnecting forever to any server of the cluster) and ensure our stream."""
        self._thread.start()
        self._run(self._connect())
        self._run(self._ensure_stream())
        return self

    async def _connect(self) -> None:
        self._nc = await nats.connect(
            servers=self.servers,
            name=f"xinyong-{self.node}",
            max_reconnect_attempts=-1,
            reconnect_time_wait=1,
            connect_timeout=2,
        )
        self._js = self._nc.jetstream(timeout=self.settings.request_timeout)

    async def _ensure_stream(self) -> None:
        config = StreamConfig(
            name=stream_name(self.node),
            subjects=[events_subject(self.node)],
            storage=StorageType.FILE,
            num_replicas=self.settings.replicas,
            duplicate_window=self.settings.duplicate_window,
        )
        try:
            await self.js.stream_info(config.name or "")
        except nats.js.errors.NotFoundError:
            await self.js.add_stream(config)
            return
        await self.js.update_stream(config)

    def close(self) -> None:
        """Flush what is in flight, close the connection, and stop the loop and its thread.

        Acknowledgements are synchronous (`ack_sync`), so nothing acknowledged waits here.
        """
        if not self._thread.is_alive():
            return
        future = asyncio.run_coroutine_threadsafe(self._shutdown(), self._loop)
        try:
            future.result(self.settings.request_timeout * 3)
        except _FAILURES:
            pass  # the servers are gone: nothing left to flush
        finally:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(timeout=5)
            self._loop.close()

    async def _shutdown(self) -> None:
        nc = self._nc
        if nc is not None and not nc.is_closed:
            with contextlib.suppress(*_FAILURES):  # not connected: nothing to flush
                await nc.flush(timeout=int(self.settings.request_timeout) or 1)
            await nc.close()
        current = asyncio.current_task()
        rest = [t for t in asyncio.all_tasks() if t is not current]
        for task in rest:
            task.cancel()
        await asyncio.gather(*rest, return_exceptions=True)

    def __enter__(self) -> Self:
        return self.open()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # -- the Transport port --

    def publish(self, recipient: str, message_id: str, data: bytes) -> Published:
        ack = self._run(
            self.js.publish(
                events_subject(self.node, check_node_code(recipient)),
                data,
                stream=stream_name(self.node),
                headers={"Nats-Msg-Id": message_id},
            )
        )
        return Published(stream_seq=ack.seq, duplicate=bool(ack.duplicate))

    def fetch(self, origin: str, *, batch: int, timeout: float) -> list[JetStreamDelivery]:
        return self._run(
            self._fetch(origin, batch, timeout), timeout + self.settings.request_timeout
        )

    async def _fetch(self, origin: str, batch: int, timeout: float) -> list[JetStreamDelivery]:
        pull = self._pulls.get(origin)
        if pull is None:
            pull = await self.js.pull_subscribe(
                events_subject(origin, self.node),
                durable=f"to_{self.node}",
                stream=stream_name(origin),
                config=ConsumerConfig(
                    ack_policy=AckPolicy.EXPLICIT,
                    deliver_policy=DeliverPolicy.ALL,
                    ack_wait=self.settings.ack_wait,
                    max_deliver=-1,  # never drop a message: a poisoned one shows as refused
                ),
            )
            self._pulls[origin] = pull
        try:
            msgs = await pull.fetch(batch, timeout=timeout)
        except nats.errors.TimeoutError:
            return []
        return [JetStreamDelivery(self, m) for m in msgs]

    def lag(self, origin: str) -> int | None:
        """Messages `origin` sent this node that it has not acknowledged yet (None: unknown)."""

        async def ask() -> int:
            info = await self.js.consumer_info(stream_name(origin), f"to_{self.node}")
            return int(info.num_pending or 0) + int(info.num_ack_pending or 0)

        try:
            return self._run(ask())
        except (TransportError, nats.js.errors.NotFoundError):
            return None

    # -- digests for reconciliation (core NATS request/reply) --

    def serve_digests(self, answer: Callable[[dict[str, object]], dict[str, object]]) -> None:
        """Answer digest requests on `xy.<node>.digest` with `answer` (run off the loop)."""
        self._serve(digest_subject(self.node), answer)

    def serve_resends(self, answer: Callable[[dict[str, object]], dict[str, object]]) -> None:
        """Answer requests to send subjects again on `xy.<node>.resend` (run off the loop)."""
        self._serve(resend_subject(self.node), answer)

    def _serve(
        self, subject: str, answer: Callable[[dict[str, object]], dict[str, object]]
    ) -> None:
        async def handle(msg: Msg) -> None:
            try:
                request = json.loads(msg.data)
            except ValueError:
                request = None
            if not isinstance(request, dict):
                reply: dict[str, object] = {"error": "a request is a JSON object"}
            else:
                reply = await asyncio.get_running_loop().run_in_executor(None, answer, request)
            await msg.respond(json.dumps(reply).encode())

        async def subscribe() -> None:
            if self._nc is None:
                raise TransportError("the transport is not open")
            await self._nc.subscribe(subject, cb=handle)

        self._run(subscribe())

    def request_digest(self, peer: str, request: dict[str, object]) -> dict[str, object]:
        return self._request(peer, digest_subject(check_node_code(peer)), request)

    def request_resend(self, origin: str, request: dict[str, object]) -> dict[str, object]:
        """Ask `origin` to queue again the current state of some subjects."""
        return self._request(origin, resend_subject(check_node_code(origin)), request)

    def _request(self, peer: str, subject: str, request: dict[str, object]) -> dict[str, object]:
        async def ask() -> bytes:
            if self._nc is None:
                raise TransportError("the transport is not open")
            msg = await self._nc.request(
                subject, json.dumps(request).encode(), timeout=self.settings.request_timeout
            )
            return msg.data

        reply = json.loads(self._run(ask()))
        if not isinstance(reply, dict):
            raise TransportError(f"{peer} answered a request with something else")
        if "error" in reply:
            raise TransportError(f"{peer} refused the request: {reply['error']}")
        return reply


class DigestPeerOverNats:
    """The `DigestPeer` port: a peer's digests, asked over NATS request/reply."""

    def __init__(self, transport: JetStreamTransport, peer: str) -> None:
        self.transport = transport
        self.peer = peer

    def tree(self, origin: str, depth: int) -> MerkleTree:
        return MerkleTree.from_json(
            self.transport.request_digest(self.peer, {"origin": origin, "depth": depth})
        )

    def leaves(self, origin: str, buckets: Sequence[int], depth: int) -> Mapping[str, str]:
        reply = self.transport.request_digest(
            self.peer, {"origin": origin, "depth": depth, "buckets": list(buckets)}
        )
        leaves = reply.get("leaves")
        if not isinstance(leaves, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in leaves.items()
        ):
            raise TransportError(f"{self.peer} answered with malformed leaves")
        return leaves
