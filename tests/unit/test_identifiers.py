"""Citizen ID numbers and unified social credit codes: normalisation, reasons, masking."""

from __future__ import annotations

from datetime import date

import pytest

from xinyong.domain.identifiers import (
    InvalidIdentifier,
    Sex,
    is_credit_code,
    mask_citizen_id,
    mask_number,
    normalise,
    parse_citizen_id,
    parse_credit_code,
)

STANDARD = "11010519491231002X"  # the example number of GB 11643-1999
AMR_USCC = "11110000000021135M"


@pytest.mark.parametrize(
    "raw",
    [
        "11010519491231002X",
        "11010519491231002x",
        " 110105 19491231 002X ",
        "110105-19491231-002X",
        "１１０１０５１９４９１２３１００２Ｘ",
        "１１０１０５　１９４９１２３１　００２ｘ",
        "\t110105_19491231_002X",
    ],
)
def test_citizen_id_is_normalised_before_it_is_checked(raw: str) -> None:
    assert parse_citizen_id(raw).number == STANDARD


def test_normalise_turns_full_width_into_ascii_and_drops_separators() -> None:
    assert normalise("９１１１-０１０５ ma") == "91110105MA"


def test_standard_example_reads_birth_date_sex_and_region() -> None:
    person = parse_citizen_id(STANDARD)

    assert person.birth_date == date(1949, 12, 31)
    assert person.sex is Sex.FEMALE
    assert person.region.code == "110105"
    assert person.region.name_zh == "北京市朝阳区"
    assert person.region.name_en == "Beijing Chaoyang"


def test_odd_sequence_digit_means_male() -> None:
    assert parse_citizen_id("110105199003071239").sex is Sex.MALE


def test_masked_number_hides_birth_month_and_day() -> None:
    assert parse_citizen_id(STANDARD).masked == "1101051949****002X"
    assert mask_citizen_id("342301196405153224") == "3423011964****3224"


def test_a_number_that_reads_as_both_a_person_and_an_organisation_is_masked() -> None:
    both = "110105198001010518"  # right check character as a citizen ID and as a credit code
    assert parse_citizen_id(both)
    assert is_credit_code(both)
    assert mask_number(both) == "1101051980****0518"
    assert mask_number("91110000100000001W") == "91110000100000001W"  # an organisation's, whole
    assert mask_number(STANDARD) == "1101051949****002X"


def test_masking_a_malformed_number_hides_all_of_it() -> None:
    assert mask_citizen_id("12345") == "*****"


def test_repr_and_str_never_show_the_full_number() -> None:
    person = parse_citizen_id(STANDARD)

    for shown in (repr(person), str(person), f"{person}", f"{[person]}"):
        assert STANDARD not in shown
        assert "19491231" not in shown
        assert shown.endswith("002X)") or shown.endswith("002X)]")


def test_age_is_counted_in_whole_years_on_a_given_day() -> None:
    person = parse_citizen_id(STANDARD)

    assert person.age_on(date(1967, 12, 30)) == 17
    assert person.age_on(date(1967, 12, 31)) == 18
    assert person.is_minor_on(date(1967, 12, 30), age_of_majority=18)
    assert not person.is_minor_on(date(1967, 12, 31), age_of_majority=18)


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("1101051949123100", "must have 18 characters, has 16"),
        ("11010519491231002XX", "must have 18 characters, has 19"),
        ("1101051949123A002X", "characters 1-17 must be digits; position 14 is not"),
        ("110105194913310021", "birth date 19491331 is not a calendar date"),
        ("110105190002290025", "birth date 19000229 is not a calendar date"),
        ("990105194912310023", "region code 990105 is not a county"),
        ("110105194912310021", "check character is 1, the number needs X"),
        ("11010519491231002A", "check character is A, which is neither a digit nor X"),
    ],
    ids=[
        "too-short",
        "too-long",
        "letter",
        "month-13",
        "not-leap",
        "region",
        "check",
        "check-letter",
    ],
)
def test_invalid_citizen_id_names_the_part_that_is_wrong(raw: str, reason: str) -> None:
    with pytest.raises(InvalidIdentifier) as caught:
        parse_citizen_id(raw)

    assert caught.value.kind == "citizen_id"
    assert reason in caught.value.reason


def test_birth_date_after_today_is_refused() -> None:
    with pytest.raises(InvalidIdentifier, match="is in the future"):
        parse_citizen_id("110105200806010013", today=date(2008, 5, 31))


def test_refusal_message_never_contains_the_number() -> None:
    with pytest.raises(InvalidIdentifier) as caught:
        parse_citizen_id("110105194912310021")

    assert "110105194912310021" not in str(caught.value)


@pytest.mark.parametrize(
    "raw", [AMR_USCC, "11110000000021135m", "1111 0000 0000 2113 5M", "1111-0000-0000-2113-5M"]
)
def test_valid_credit_code_is_accepted_after_normalisation(raw: str) -> None:
    code = parse_credit_code(raw)

    assert code.code == AMR_USCC
    assert code.registration_authority == "1"
    assert code.region_code == "110000"


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("11110000000021135", "must have 18 characters, has 17"),
        ("111100000000I1135M", "position 13 holds 'I', which a credit code never uses"),
        ("11AB0000000021135M", "positions 3-8 (the region code) must be digits"),
        ("11110000000021135N", "check character is N, the code needs M"),
    ],
    ids=["length", "letter-never-used", "region", "check"],
)
def test_invalid_credit_code_names_the_part_that_is_wrong(raw: str, reason: str) -> None:
    with pytest.raises(InvalidIdentifier) as caught:
        parse_credit_code(raw)

    assert caught.value.kind == "uscc"
    assert caught.value.reason == reason
