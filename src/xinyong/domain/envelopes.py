"""Envelopes: an event signed by its origin (Ed25519), its identifiers and state sealed to one
recipient (X25519 → HKDF-SHA256 → ChaCha20-Poly1305), in canonical JSON. See docs/exchange.md.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

from cryptography.exceptions import InvalidSignature, InvalidTag
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305
from cryptography.hazmat.primitives.hashes import SHA256
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from xinyong.domain.errors import Invalid
from xinyong.domain.exchange import Event, JsonValue, body_json, event_from_json, header_json

FORMAT = "xinyong.exchange/1"
SIGNATURE_ALG = "Ed25519"
SEAL_ALG = "X25519-HKDF-SHA256-ChaCha20Poly1305"
_HKDF_INFO = b"xinyong.exchange/1 sealed body"


def canonical_json(value: object) -> bytes:
    """Encode JSON so every node produces the same bytes: keys sorted, no spaces, UTF-8.

    Floats are refused: their text form differs between implementations, and nothing the
    exchange carries needs them (amounts travel as decimal strings).
    """
    _refuse_floats(value)
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()


def _refuse_floats(value: object) -> None:
    if isinstance(value, float):
        raise Invalid("canonical JSON carries no floats; send decimals as strings")
    if isinstance(value, dict):
        for v in value.values():
            _refuse_floats(v)
    elif isinstance(value, list):
        for v in value:
            _refuse_floats(v)


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")


def _unb64(text: object, name: str) -> bytes:
    if not isinstance(text, str):
        raise Refused(RefusalReason.MALFORMED, f"{name}: required, base64 text")
    try:
        return base64.b64decode(text, validate=True)
    except ValueError:
        raise Refused(RefusalReason.MALFORMED, f"{name}: not base64") from None


# --- keys ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PublicKeys:
    """A node's public keys, as its peers register them: 32 raw bytes each."""

    signing: bytes
    sealing: bytes

    def __post_init__(self) -> None:
        if len(self.signing) != 32 or len(self.sealing) != 32:
            raise Invalid("public keys: an Ed25519 and an X25519 key, 32 bytes each")

    @property
    def fingerprint(self) -> str:
        """A short name for the pair, to compare by eye or telephone: 16 hex digits."""
        return hashlib.sha256(self.signing + self.sealing).hexdigest()[:16]

    def as_text(self) -> tuple[str, str]:
        return _b64(self.signing), _b64(self.sealing)

    @classmethod
    def from_text(cls, signing: str, sealing: str) -> PublicKeys:
        try:
            return cls(
                base64.b64decode(signing, validate=True), base64.b64decode(sealing, validate=True)
            )
        except ValueError:
            raise Invalid("public keys: base64 text of 32 bytes each") from None


@dataclass(frozen=True, slots=True)
class NodeKeys:
    """A node's private keys: one to sign what it sends, one to open what is sealed to it."""

    signing: Ed25519PrivateKey
    sealing: X25519PrivateKey

    @classmethod
    def generate(cls) -> NodeKeys:
        return cls(Ed25519PrivateKey.generate(), X25519PrivateKey.generate())

    @property
    def public(self) -> PublicKeys:
        return PublicKeys(
            self.signing.public_key().public_bytes_raw(),
            self.sealing.public_key().public_bytes_raw(),
        )

    def as_text(self) -> tuple[str, str]:
        """Return both private keys as base64 of their 32 raw bytes, for storage."""
        raw = (serialization.Encoding.Raw, serialization.PrivateFormat.Raw)
        none = serialization.NoEncryption()
        return (
            _b64(self.signing.private_bytes(*raw, none)),
            _b64(self.sealing.private_bytes(*raw, none)),
        )

    @classmethod
    def from_text(cls, signing: str, sealing: str) -> NodeKeys:
        return cls(
            Ed25519PrivateKey.from_private_bytes(base64.b64decode(signing, validate=True)),
            X25519PrivateKey.from_private_bytes(base64.b64decode(sealing, validate=True)),
        )

    def __repr__(self) -> str:
        return f"NodeKeys({self.public.fingerprint})"


# --- refusals ------------------------------------------------------------------------------


class RefusalReason(StrEnum):
    """Why a received event was not applied. Stored with every refusal."""

    MALFORMED = "malformed"
    UNKNOWN_ORIGIN = "unknown_origin"
    WRONG_STREAM = "wrong_stream"
    WRONG_RECIPIENT = "wrong_recipient"
    BAD_SIGNATURE = "bad_signature"
    UNSEALABLE = "unsealable"
    NOT_ORIGIN = "not_origin"
    GATE = "gate"


class Refused(Invalid):
    """A received event that is not applied; `reason` is one of RefusalReason."""

    title = "Event refused"

    def __init__(self, reason: RefusalReason, detail: str) -> None:
        super().__init__(detail)
        self.reason = reason


# --- sealing -------------------------------------------------------------------------------


def _seal_key(shared: bytes, ephemeral: bytes, recipient: bytes) -> bytes:
    hkdf = HKDF(algorithm=SHA256(), length=32, salt=ephemeral + recipient, info=_HKDF_INFO)
    return hkdf.derive(shared)


def seal(plaintext: bytes, recipient: bytes, *, aad: bytes) -> dict[str, JsonValue]:
    """Encrypt `plaintext` so only the holder of the X25519 key behind `recipient` can read it.

    A fresh ephemeral key per message; ECDH with the recipient's key; HKDF-SHA256 (salt: both
    public keys) derives a 256-bit key; ChaCha20-Poly1305 encrypts with `aad` bound in.
    """
    ephemeral = X25519PrivateKey.generate()
    epk = ephemeral.public_key().public_bytes_raw()
    key = _seal_key(
        ephemeral.exchange(X25519PublicKey.from_public_bytes(recipient)), epk, recipient
    )
    nonce = os.urandom(12)
    sealed = ChaCha20Poly1305(key).encrypt(nonce, plaintext, aad)
    return {"alg": SEAL_ALG, "epk": _b64(epk), "nonce": _b64(nonce), "ct": _b64(sealed)}


def unseal(sealed: Mapping[str, object], key: X25519PrivateKey, *, aad: bytes) -> bytes:
    """Open what `seal` produced, or raise Refused(UNSEALABLE)."""
    if sealed.get("alg") != SEAL_ALG:
        raise Refused(RefusalReason.MALFORMED, f"sealed.alg: must be {SEAL_ALG}")
    epk = _unb64(sealed.get("epk"), "sealed.epk")
    nonce = _unb64(sealed.get("nonce"), "sealed.nonce")
    ciphertext = _unb64(sealed.get("ct"), "sealed.ct")
    if len(epk) != 32 or len(nonce) != 12:
        raise Refused(RefusalReason.MALFORMED, "sealed: epk must be 32 bytes, nonce 12")
    mine = key.public_key().public_bytes_raw()
    derived = _seal_key(key.exchange(X25519PublicKey.from_public_bytes(epk)), epk, mine)
    try:
        return ChaCha20Poly1305(derived).decrypt(nonce, ciphertext, aad)
    except InvalidTag:
        raise Refused(
            RefusalReason.UNSEALABLE, "the sealed body does not open with this node's key"
        ) from None


# --- envelopes -----------------------------------------------------------------------------


def _aad(origin: str, seq: int, recipient: str) -> bytes:
    return canonical_json({"origin": origin, "recipient": recipient, "seq": seq})


def make_envelope(
    event: Event, *, recipient: str, recipient_keys: PublicKeys, signer: Ed25519PrivateKey
) -> bytes:
    """Return the bytes that travel: the event's header in the clear, its body sealed to the
    recipient, the whole signed by the origin."""
    body = canonical_json(body_json(event.change))
    unsigned: dict[str, JsonValue] = {
        "format": FORMAT,
        **header_json(event),
        "recipient": recipient,
        "sealed": seal(body, recipient_keys.sealing, aad=_aad(event.origin, event.seq, recipient)),
    }
    signature = signer.sign(canonical_json(unsigned))
    signer_keys = signer.public_key().public_bytes_raw()
    return canonical_json(
        {
            **unsigned,
            "signature": {
                "alg": SIGNATURE_ALG,
                "key": hashlib.sha256(signer_keys).hexdigest()[:16],
                "value": _b64(signature),
            },
        }
    )


@dataclass(frozen=True, slots=True)
class Received:
    """An envelope read far enough to know who it claims to come from."""

    origin: str
    seq: int | None
    kind: str | None


def peek(raw: bytes) -> Received:
    """Return what an envelope claims about itself, without trusting it (for refusal records)."""
    try:
        data = json.loads(raw)
    except ValueError:
        return Received("", None, None)
    if not isinstance(data, dict):
        return Received("", None, None)
    seq = data.get("seq")
    kind = data.get("kind")
    return Received(
        str(data.get("origin") or "")[:32],
        seq if isinstance(seq, int) and not isinstance(seq, bool) else None,
        kind[:32] if isinstance(kind, str) else None,
    )


def open_envelope(
    raw: bytes,
    *,
    stream_of: str,
    origin_keys: PublicKeys | None,
    me: str,
    my_keys: NodeKeys,
) -> Event:
    """Verify and open an envelope read from the stream of node `stream_of`.

    Refuses (raises Refused) an envelope that is not JSON of this format, that claims another
    origin than the stream it came from, whose origin is not a registered peer, whose signature
    does not verify with the origin's registered key (tampered, or signed by another node), that
    is addressed to another node, or whose sealed body does not open.
    """
    try:
        data = json.loads(raw)
    except ValueError:
        raise Refused(RefusalReason.MALFORMED, "not JSON") from None
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise Refused(RefusalReason.MALFORMED, f"format: must be {FORMAT}")
    origin = data.get("origin")
    if origin != stream_of:
        raise Refused(
            RefusalReason.WRONG_STREAM, f"claims origin {origin!r} on the stream of {stream_of}"
        )
    if origin_keys is None:
        raise Refused(RefusalReason.UNKNOWN_ORIGIN, f"{stream_of} is not a registered peer")
    signature = data.pop("signature", None)
    if not isinstance(signature, dict) or signature.get("alg") != SIGNATURE_ALG:
        raise Refused(RefusalReason.MALFORMED, f"signature: required, alg {SIGNATURE_ALG}")
    value = _unb64(signature.get("value"), "signature.value")
    try:
        Ed25519PublicKey.from_public_bytes(origin_keys.signing).verify(value, canonical_json(data))
    except (InvalidSignature, Invalid):
        raise Refused(
            RefusalReason.BAD_SIGNATURE,
            f"the signature does not verify with the registered key of {stream_of}:"
            " tampered, or signed by another node",
        ) from None
    if data.get("recipient") != me:
        raise Refused(RefusalReason.WRONG_RECIPIENT, f"addressed to {data.get('recipient')!r}")
    seq = data.get("seq")
    if not isinstance(seq, int) or isinstance(seq, bool):
        raise Refused(RefusalReason.MALFORMED, "seq: required, an integer")
    sealed = data.get("sealed")
    if not isinstance(sealed, dict):
        raise Refused(RefusalReason.MALFORMED, "sealed: required, an object")
    body = unseal(sealed, my_keys.sealing, aad=_aad(stream_of, seq, me))
    try:
        opened = json.loads(body)
        if not isinstance(opened, dict):
            raise Invalid("the sealed body is not an object")
        return event_from_json({**data, **opened})
    except (ValueError, Invalid) as exc:
        detail = exc.detail if isinstance(exc, Invalid) else "the sealed body is not JSON"
        raise Refused(RefusalReason.MALFORMED, detail) from None
