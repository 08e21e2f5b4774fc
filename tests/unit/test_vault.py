"""Keys at rest: sealing, keyed hashes and subject keys, signatures (docs/at-rest.md)."""

from __future__ import annotations

import base64
import random

import pytest
from stdnum.cn import ric

from xinyong.domain.vault import (
    Vault,
    VaultError,
    holds_citizen_id,
    new_material,
    sealed_version,
    with_new_data_key,
)

NUMBER = "11010519491231002X"
#: NUMBER's key under the fixed material of the stability test, as released keys were computed.
KNOWN_KEY = 4198076726242730131


def b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode()


@pytest.fixture
def keys() -> Vault:
    return Vault.from_material(new_material())


def test_a_sealed_number_opens_and_never_shows_its_digits(keys: Vault) -> None:
    first, second = keys.seal(NUMBER), keys.seal(NUMBER)

    assert first != second  # a fresh nonce each time
    assert NUMBER[:17] not in first
    assert keys.open(first) == NUMBER
    assert sealed_version(first) == 1


def test_another_deployments_keys_open_nothing(keys: Vault) -> None:
    other = Vault.from_material(new_material())
    with pytest.raises(VaultError, match="fails to open"):
        other.open(keys.seal(NUMBER))


def test_every_live_version_opens_and_the_newest_seals(keys: Vault) -> None:
    old_seal = keys.seal(NUMBER)
    material, version = with_new_data_key(
        {
            "data_keys": {str(v): b64(k) for v, k in keys.data_keys.items()},
            "data_key": 1,
            "hash_key": b64(keys.hash_key),
            "signing_key": b64(keys.signing_key),
        }
    )
    rotated = Vault.from_material(material)

    assert version == 2
    assert rotated.open(old_seal) == NUMBER
    assert sealed_version(rotated.reseal(old_seal)) == 2
    assert rotated.subject_key(NUMBER, organisation=False) == keys.subject_key(
        NUMBER, organisation=False
    )


@pytest.mark.parametrize(
    "text",
    [
        NUMBER,
        "110105 19491231 002x",
        "１１０１０５１９４９１２３１００２Ｘ",
        f"the debtor {NUMBER} paid",
        "110105\u201419491231\u2014002X",  # em dash
        "110105\u221219491231\u2212002X",  # minus sign
        "110105\u200b19491231\u200b002X",  # zero-width space
        "110105_19491231_002X",
        "110105 \u2013 19491231 \u2013 002X",
    ],
)
def test_a_number_in_any_written_form_is_found(text: str) -> None:
    assert holds_citizen_id(text)


def test_documents_keep_everything_but_numbers_in_clear(keys: Vault) -> None:
    original = {"subject_id": NUMBER, "amount": "100", "notes": ["sealed:looks-like-ours", 3]}

    stored = keys.seal_identifiers(original)

    assert stored["amount"] == "100"
    assert NUMBER not in str(stored)
    assert keys.open_all(stored) == original


def test_an_eighteen_character_string_is_judged_as_in_any_longer_text() -> None:
    # An 18-character ASCII string is judged on its own; inside a longer text (a space before
    # it, which the number search drops) it goes through the general search: same answers.
    rng = random.Random(14)
    samples = [NUMBER, NUMBER.lower(), "11110000000021135M", "92110116068203971W"]
    for _ in range(4000):
        digits = "".join(rng.choice("0123456789") for _ in range(17))
        right = ric.calc_check_digit(digits + "0")
        last = right if rng.random() < 0.5 else rng.choice("0123456789XxMWAa")
        swapped = rng.randrange(40)  # now and then a letter among the first 17
        if swapped < 17:
            digits = digits[:swapped] + rng.choice("ABXYaz") + digits[swapped + 1 :]
        samples.append(digits + last)
    found = 0
    for text in samples:
        assert holds_citizen_id(text) is holds_citizen_id(f" {text}"), text
        found += holds_citizen_id(text)
    assert 1000 < found < len(samples) - 1000  # both answers were exercised


class _Str(str):
    """A string of another type than `str` (a value a reader may hand over)."""


def test_exactly_the_strings_that_hold_a_number_or_look_sealed_are_sealed(keys: Vault) -> None:
    # The rule, whatever the walk does to be quick: a string is sealed when it looks sealed or
    # holds a number, at any depth and of any string type; nothing else changes.
    values: list[object] = [
        NUMBER,
        f"the debtor {NUMBER} paid",
        "110105 19491231 002x",
        "11110000000021135M",  # a credit code: 17 digits, no number
        "110105194912310021",  # a wrong check character
        "sealed:",
        "sealed:1:abc",
        "short",
        "",
        "《中华人民共和国食品安全法》第一百二十四条",
        _Str(NUMBER),
        _Str("plain"),
        7,
        1.5,
        None,
        True,
    ]
    document = {
        **{f"k{i}": v for i, v in enumerate(values)},
        "list": [*values, {"inner": list(values)}],
        "dict": {f"d{i}": v for i, v in enumerate(values)},
    }

    def expected_sealed(value: object) -> bool:
        return isinstance(value, str) and (value.startswith("sealed:") or holds_citizen_id(value))

    def check(sent: object, stored: object) -> None:
        if isinstance(sent, dict):
            assert isinstance(stored, dict)
            assert stored.keys() == sent.keys()
            for key in sent:
                check(sent[key], stored[key])
        elif isinstance(sent, list):
            assert isinstance(stored, list)
            assert len(stored) == len(sent)
            for one, other in zip(sent, stored, strict=True):
                check(one, other)
        elif expected_sealed(sent):
            assert sealed_version(stored) == 1
            assert keys.open(str(stored)) == sent
        else:
            assert stored is sent

    check(document, keys.seal_identifiers(document))


def test_subject_keys_are_keyed_and_keep_persons_below_organisations(keys: Vault) -> None:
    other = Vault.from_material(new_material())
    person = keys.subject_key(NUMBER, organisation=False)
    organisation = keys.subject_key("91110000802100433B", organisation=True)

    assert person != int(NUMBER[:17])
    assert person != other.subject_key(NUMBER, organisation=False)
    assert person < 2**62 <= organisation < 2**63


def test_subject_keys_stay_what_is_stored_and_bulk_digests_agree() -> None:
    """Stored keys and query-log keys outlive a release: fixed material gives a fixed key,
    one number at a time and in bulk (person_key_digests, unmasked)."""
    fixed = Vault.from_material(
        {
            "data_key": 1,
            "data_keys": {"1": b64(bytes(32))},
            "hash_key": b64(bytes(range(32))),
            "signing_key": b64(bytes(32)),
        }
    )
    key = fixed.subject_key(NUMBER, organisation=False)
    assert key == fixed.subject_key(NUMBER, organisation=False)  # the prepared state is copied
    other = "110105194912310021"
    many = [NUMBER.encode(), other.encode()] * 300  # more than one slice of states
    digests = fixed.person_key_digests(many)
    assert len(digests) == 8 * len(many)
    for place in (0, 1, 598, 599):
        want = fixed.subject_key(NUMBER if place % 2 == 0 else other, organisation=False)
        assert int.from_bytes(digests[8 * place : 8 * place + 8], "big") & (2**62 - 1) == want
    assert key == KNOWN_KEY
    assert fixed.person_key_digests([]) == b""


def test_a_signature_verifies_only_for_what_was_signed(keys: Vault) -> None:
    signature = keys.sign(b"checkpoint")

    assert keys.verifies(b"checkpoint", signature)
    assert not keys.verifies(b"checkpoint!", signature)


def test_malformed_key_material_names_the_field() -> None:
    material = new_material()
    material["hash_key"] = "not base64!"
    with pytest.raises(VaultError, match="hash_key"):
        Vault.from_material(material)
    with pytest.raises(VaultError, match="signing_key"):
        Vault.from_material({k: v for k, v in new_material().items() if k != "signing_key"})
