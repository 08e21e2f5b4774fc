"""Keys at rest: identifiers sealed with AES-256-GCM, keyed hashes for lookups, signed checkpoints.

The keys come from a key file or the environment (config.py reads them; docs/at-rest.md), never
from the database: a copy of the database is a copy of ciphertexts and keyed hashes, which say
nothing about a number without the key file. One vault serves the whole process: the composition
root installs it (`install`) before anything stores or reads a subject, and the storage types and
the index keys use `current()`.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import re
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import repeat
from typing import Any

from cryptography.exceptions import InvalidSignature, InvalidTag
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from stdnum.cn import ric

from xinyong.domain.identifiers import SEPARATORS

#: A sealed value reads `sealed:<key version>:<base64 of nonce and ciphertext>`.
SEALED_PREFIX = "sealed:"
#: A string shorter than a citizen ID number cannot hold one.
_ID_LENGTH = 18
_NONCE = 12
#: Organisation keys live at or above 2**62; person keys below it (both keyed hashes).
_ORG_BASE = 1 << 62
_KEY_MASK = (1 << 62) - 1
#: What of a keyed hash's first 8 bytes (big-endian) is a person's key (person_key_digests).
PERSON_KEY_MASK = _KEY_MASK
#: Numbers hashed together by `person_key_digests`: their hash states (a few hundred bytes
#: each) stay in the processor's cache between its three passes.
_DIGEST_SLICE = 256
#: Anything that could be a citizen ID number inside a submitted value (checked before sealing).
_ID_LIKE = re.compile(r"(?<![0-9])[0-9]{17}[0-9Xx](?![0-9])")


#: Full-width digits and X read as ASCII; spaces and dashes dropped, every separator that
#: `identifiers.normalise` drops (a number it accepts is found here, however it was typed).
_COMPACT = {
    **{0xFF10 + i: str(i) for i in range(10)},
    0xFF38: "X",
    0xFF58: "x",
    **dict.fromkeys(map(ord, SEPARATORS), None),
}
#: Seventeen digits (ASCII or full-width) with only what `_COMPACT` drops between them: a
#: string without such a run holds no number once compacted, so it is not compacted at all.
_DIGIT_RUN = re.compile(f"[0-9\uff10-\uff19](?:[{re.escape(SEPARATORS)}]*[0-9\uff10-\uff19]){{16}}")


class VaultError(ValueError):
    """Key material missing or malformed, or a sealed value no live key opens."""


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def _unb64(text: str, what: str) -> bytes:
    try:
        return base64.b64decode(text, validate=True)
    except (ValueError, TypeError):
        raise VaultError(f"{what}: not base64") from None


def new_material() -> dict[str, Any]:
    """Fresh key material: data key version 1, a keyed-hash key and a signing key."""
    return {
        "data_keys": {"1": _b64(os.urandom(32))},
        "data_key": 1,
        "hash_key": _b64(os.urandom(32)),
        "signing_key": _b64(os.urandom(32)),
    }


def with_new_data_key(material: Mapping[str, Any]) -> tuple[dict[str, Any], int]:
    """The material with a new data key version, made current; the old versions stay readable."""
    keys = dict(material.get("data_keys", {}))
    version = max((int(v) for v in keys), default=0) + 1
    keys[str(version)] = _b64(os.urandom(32))
    return {**material, "data_keys": keys, "data_key": version}, version


@dataclass(frozen=True)
class Vault:
    """The keys of one deployment: every live data key by version (the current one seals), the
    keyed-hash key and the checkpoint signing key."""

    data_keys: Mapping[int, bytes]
    current_version: int
    hash_key: bytes
    signing_key: bytes
    _ciphers: dict[int, AESGCM] = field(default_factory=dict, repr=False, compare=False)
    #: The derived keys of the subject keys and of the log links.
    _macs: dict[str, bytes] = field(default_factory=dict, repr=False, compare=False)
    #: The keyed-hash key's HMAC state before any message, copied for each digest.
    _keyed: dict[str, hmac.HMAC] = field(default_factory=dict, repr=False, compare=False)
    #: Keyed BLAKE2b states after their key block, copied for each message (the subject keys').
    _blake: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.current_version not in self.data_keys:
            raise VaultError(f"data_key: version {self.current_version} is not among data_keys")
        for version, key in self.data_keys.items():
            if len(key) != 32:
                raise VaultError(f"data_keys.{version}: an AES-256 key is 32 bytes")
            self._ciphers[version] = AESGCM(key)
        if len(self.hash_key) < 32:
            raise VaultError("hash_key: at least 32 bytes")
        if len(self.signing_key) != 32:
            raise VaultError("signing_key: an Ed25519 seed is 32 bytes")
        # Keys of their own for the two hot paths (a key per check, a link per logged row),
        # derived from the keyed-hash key: keyed BLAKE2b, a MAC in itself and about three times
        # cheaper than HMAC-SHA256 per short message here.
        self._macs["key"] = hmac.new(self.hash_key, b"subject-key", hashlib.sha256).digest()
        self._macs["chain"] = hmac.new(self.hash_key, b"chain", hashlib.sha256).digest()
        self._keyed["digest"] = hmac.new(self.hash_key, digestmod=hashlib.sha256)
        self._blake["key"] = hashlib.blake2b(key=self._macs["key"], digest_size=8)

    @classmethod
    def from_material(cls, material: Mapping[str, Any]) -> Vault:
        """Read key material (the key file's JSON); errors name the field, never a key."""
        try:
            raw_keys = material["data_keys"]
            keys = {int(v): _unb64(str(k), f"data_keys.{v}") for v, k in raw_keys.items()}
            return cls(
                data_keys=keys,
                current_version=int(material["data_key"]),
                hash_key=_unb64(str(material["hash_key"]), "hash_key"),
                signing_key=_unb64(str(material["signing_key"]), "signing_key"),
            )
        except KeyError as exc:
            raise VaultError(f"key material lacks {exc.args[0]}") from None
        except (AttributeError, TypeError, ValueError) as exc:
            if isinstance(exc, VaultError):
                raise
            raise VaultError("key material is malformed") from None

    # -- sealing ---------------------------------------------------------------------------

    def seal(self, text: str) -> str:
        """Encrypt `text` under the current data key (a fresh random nonce each time)."""
        nonce = os.urandom(_NONCE)
        sealed = self._ciphers[self.current_version].encrypt(nonce, text.encode(), None)
        return f"{SEALED_PREFIX}{self.current_version}:{_b64(nonce + sealed)}"

    def open(self, token: str) -> str:
        """Decrypt a sealed value under whichever live key version sealed it."""
        version, blob = _split(token)
        cipher = self._ciphers.get(version)
        if cipher is None:
            # Another process rotated the data key: read the keys again, once.
            fresh = _reload()
            if fresh is not None and version in fresh.data_keys:
                return fresh.open(token)
            raise VaultError(f"a value is sealed under data key version {version}, not in the keys")
        raw = _unb64(blob, "sealed value")
        try:
            return cipher.decrypt(raw[:_NONCE], raw[_NONCE:], None).decode()
        except InvalidTag:
            raise VaultError(f"a value sealed under key version {version} fails to open") from None

    def reseal(self, token: str) -> str:
        """The value sealed under the current key (unchanged when it already is)."""
        if sealed_version(token) == self.current_version:
            return token
        return self.seal(self.open(token))

    def seal_identifiers(self, value: Any) -> Any:
        """A submitted document with every string that holds a citizen ID number sealed (a
        string already looking sealed is sealed too, so that reading it back is exact)."""
        if isinstance(value, str):
            if value.startswith(SEALED_PREFIX) or holds_citizen_id(value):
                return self.seal(value)
            return value
        if isinstance(value, dict):
            # The hot path (every stored record, twice): a plain string is decided here, with
            # no call for one too short to hold a number, and only a container is walked into.
            out = {}
            for k, v in value.items():
                if type(v) is str:
                    if v.startswith(SEALED_PREFIX) or (
                        len(v) >= _ID_LENGTH and holds_citizen_id(v)
                    ):
                        v = self.seal(v)
                elif isinstance(v, str | dict | list):
                    v = self.seal_identifiers(v)
                out[k] = v
            return out
        if isinstance(value, list):
            return [self.seal_identifiers(v) for v in value]
        return value

    def open_all(self, value: Any) -> Any:
        """The document with every sealed string opened."""
        if isinstance(value, str):
            return self.open(value) if value.startswith(SEALED_PREFIX) else value
        if isinstance(value, dict):
            return {k: self.open_all(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self.open_all(v) for v in value]
        return value

    def reseal_all(self, value: Any) -> Any:
        """The document with every sealed string sealed under the current key."""
        if isinstance(value, str):
            return self.reseal(value) if value.startswith(SEALED_PREFIX) else value
        if isinstance(value, dict):
            return {k: self.reseal_all(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self.reseal_all(v) for v in value]
        return value

    # -- keyed hashes ----------------------------------------------------------------------

    def digest(self, text: str, *, purpose: str = "number") -> str:
        """The keyed hash (HMAC-SHA256, hex) of a value, for equality lookups in the database."""
        mac = self._keyed["digest"].copy()  # the key's pads computed once, not per value
        mac.update(f"{purpose}\x1f{text}".encode())
        return mac.hexdigest()

    def subject_key(self, number: str, *, organisation: bool) -> int:
        """A subject's 62-bit keyed key (keyed BLAKE2b) for the listing index, the query log and
        the feed; organisations' keys lie above every person's."""
        mac = self._blake["key"].copy()  # the key block hashed once, not per number
        mac.update(number.encode())
        value = int.from_bytes(mac.digest(), "big") & _KEY_MASK
        return _ORG_BASE | value if organisation else value

    def person_key_digests(self, numbers: Sequence[bytes]) -> bytes:
        """The keyed hashes under `subject_key` of many citizen ID numbers (ASCII bytes), 8 bytes
        each, one after another and not yet masked (`PERSON_KEY_MASK`): for screening in bulk,
        where a caller reads them as one array. The key's block is hashed once, not once a
        number, and the steps per number run in C (copy the keyed state, add the number, finish),
        a slice of at most `_DIGEST_SLICE` numbers at a time so that the states stay in cache."""
        prepared = self._blake["key"]
        kind = type(prepared)
        out: list[bytes] = []
        for first in range(0, len(numbers), _DIGEST_SLICE):
            part = numbers[first : first + _DIGEST_SLICE]
            states = list(map(kind.copy, repeat(prepared, len(part))))
            deque(map(kind.update, states, part), maxlen=0)
            out.append(b"".join(map(kind.digest, states)))
        return b"".join(out)

    def link(self, prev: str, content: str) -> str:
        """A log row's link: the keyed hash (keyed BLAKE2b, 256 bits) of the previous link and
        the row's content (domain/chain.py), under a key derived from the keyed-hash key."""
        message = f"{prev}\x1e{content}".encode()
        return hashlib.blake2b(message, key=self._macs["chain"], digest_size=32).hexdigest()

    # -- signatures ------------------------------------------------------------------------

    def sign(self, data: bytes) -> str:
        """An Ed25519 signature (base64) of `data` by this deployment's signing key."""
        return _b64(Ed25519PrivateKey.from_private_bytes(self.signing_key).sign(data))

    def public_key(self) -> str:
        """The signing key's public half (base64, raw), to verify checkpoints without secrets."""
        public = Ed25519PrivateKey.from_private_bytes(self.signing_key).public_key()
        raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        return _b64(raw)

    def verifies(self, data: bytes, signature: str) -> bool:
        """Whether `signature` is this deployment's signature of `data`."""
        public = Ed25519PublicKey.from_public_bytes(_unb64(self.public_key(), "public key"))
        try:
            public.verify(base64.b64decode(signature), data)
        except (InvalidSignature, ValueError):
            return False
        return True


def _split(token: str) -> tuple[int, str]:
    if not token.startswith(SEALED_PREFIX):
        raise VaultError("not a sealed value")
    version, _, blob = token[len(SEALED_PREFIX) :].partition(":")
    if not version.isdigit() or not blob:
        raise VaultError("a sealed value is malformed")
    return int(version), blob


def sealed_version(token: str) -> int | None:
    """The data key version a value is sealed under, or None when it is not sealed."""
    if not isinstance(token, str) or not token.startswith(SEALED_PREFIX):
        return None
    try:
        return _split(token)[0]
    except VaultError:
        return None


def holds_citizen_id(text: str) -> bool:
    """Whether a string holds a well-formed citizen ID number (with a correct check character)."""
    if len(text) < _ID_LENGTH:
        return False
    if len(text) == _ID_LENGTH and text.isascii() and text.isalnum():
        # The common case (a number or a credit code as submitted): only the whole string can
        # be a number, so the searches below would find what these two tests find.
        return text[:17].isdigit() and _checks(text.upper())
    if _DIGIT_RUN.search(text) is None:
        return False
    compact = text.translate(_COMPACT)
    return any(_checks(match.group().upper()) for match in _ID_LIKE.finditer(compact))


def _checks(number: str) -> bool:
    """Whether 17 ASCII digits and a last character are a number with its check character."""
    return number[17] in "0123456789X" and ric.calc_check_digit(number) == number[17]


def is_organisation_key(key: int) -> bool:
    """Whether a subject key is an organisation's."""
    return key >= _ORG_BASE


_current: list[Vault] = []
_reloaders: list[Callable[[], Vault]] = []


def install(vault: Vault, *, reload: Callable[[], Vault] | None = None) -> None:
    """Make `vault` the process's vault (the composition root calls this from the settings);
    `reload` reads the keys again, when a value sealed under an unknown version turns up."""
    _current[:] = [vault]
    _reloaders[:] = [reload] if reload else []


def _reload() -> Vault | None:
    if not _reloaders:
        return None
    fresh = _reloaders[0]()
    _current[:] = [fresh]
    return fresh


def current() -> Vault:
    """The process's vault; raises when none is installed (no default key exists)."""
    if not _current:
        raise VaultError("no keys are loaded: the composition root installs them from settings")
    return _current[0]
