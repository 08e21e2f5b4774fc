"""Citizen ID numbers and unified social credit codes: normalisation, reasons, masking."""

from __future__ import annotations

import sys
import unicodedata
from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from stdnum.cn import ric, uscc

from xinyong.domain.identifiers import (
    SEPARATORS,
    WITHHELD,
    CitizenId,
    CreditCode,
    InvalidIdentifier,
    OrganisationType,
    Region,
    Sex,
    is_credit_code,
    mask_citizen_id,
    mask_number,
    normalise,
    parse_citizen_id,
    parse_credit_code,
    parse_subject_number,
    redact_id_numbers,
)
from xinyong.domain.policy import Policy
from xinyong.domain.vault import holds_citizen_id

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
        "110105\u201419491231\u2014002X",  # em dash
        "110105\u201319491231\u2013002X",  # en dash
        "110105\u201019491231\u2010002X",  # hyphen
        "110105\u221219491231\u2212002X",  # minus sign
        "\u200b110105\u200b19491231\u200b002X\ufeff",  # zero width, byte order mark
        "110105\u00a019491231\u202f002X",  # no-break spaces
        "110105 \u2014 19491231 \u2014 002X",
        "１１０１０５—１９４９１２３１—００２Ｘ",
    ],
)
def test_citizen_id_is_normalised_before_it_is_checked(raw: str) -> None:
    assert parse_citizen_id(raw).number == STANDARD


def test_normalise_turns_full_width_into_ascii_and_drops_separators() -> None:
    assert normalise("９１１１-０１０５ ma") == "91110105MA"
    assert normalise("9111\u20130105\u3000ma") == "91110105MA"
    assert normalise("") == ""


def test_the_separators_are_every_unicode_dash_and_space() -> None:
    """Every dash (Pd) and space (Zs, Zl, Zp) of this Python's Unicode database is dropped, and
    so is whatever NFKC turns into separators only: the redaction and the search for numbers
    before sealing, which read no NFKC, see every separator `normalise` drops."""
    dropped = set(SEPARATORS)
    for code in range(sys.maxunicode + 1):
        char = chr(code)
        category = unicodedata.category(char)
        if category in ("Cn", "Co", "Cs"):  # unassigned, private use, surrogates
            continue
        if category in ("Pd", "Zs", "Zl", "Zp"):
            assert char in dropped, f"U+{code:04X}"
        folded = unicodedata.normalize("NFKC", char)
        if folded and set(folded) <= dropped:
            assert char in dropped, f"U+{code:04X}"
    assert {"\u2212", "\u200b", "\u2060", "\ufeff", "\u00ad", "\t", "_"} <= dropped


def _typed(number: str, runs: list[str], wide: list[bool]) -> str:
    """`number` as a submitter may type it: each character full-width or not, and a run of
    separators before, between and after them."""
    chars = [chr(ord(c) + 0xFEE0) if w else c for c, w in zip(number, wide, strict=True)]
    return "".join(r + c for r, c in zip(runs, chars, strict=False)) + runs[-1]


_NUMBERS = st.text(alphabet="0123456789", min_size=17, max_size=17).map(
    lambda digits: digits + ric.calc_check_digit(digits + "0")
)
_RUNS = st.lists(st.text(alphabet=SEPARATORS, max_size=3), min_size=19, max_size=19)
_WIDE = st.lists(st.booleans(), min_size=18, max_size=18)


@settings(max_examples=100)
@given(number=_NUMBERS, runs=_RUNS, wide=_WIDE)
def test_a_number_typed_with_any_separators_reads_and_is_never_repeated(
    number: str, runs: list[str], wide: list[bool]
) -> None:
    typed = _typed(number, runs, wide)

    assert normalise(typed) == number
    assert holds_citizen_id(typed)  # sealed at rest, however it was typed
    redacted = redact_id_numbers(f"行 3：{typed} 不是有效号码")
    assert WITHHELD in redacted
    assert number not in normalise(redacted)
    assert number[6:14] not in normalise(redacted)  # not even its birth date


@pytest.mark.parametrize("separator", ["\u2014", "\u2013", "\u2010", "\u2212", "\u200b", "_"])
def test_an_error_never_repeats_a_number_written_with_other_dashes(separator: str) -> None:
    typed = separator.join(["110105", "19491231", "002X"])

    assert redact_id_numbers(f"subject {typed}: no such person") == (
        f"subject {WITHHELD}: no such person"
    )


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
    # Right check characters both ways; as a credit code: authority 2, type 1, region 110119.
    both = "211101198001010592"
    assert parse_citizen_id(both)
    assert is_credit_code(both)
    assert mask_number(both) == "2111011980****0592"
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
        ("110105194912310021", "check character is 1, the number needs X"),
        ("11010519491231002A", "check character is A, which is neither a digit nor X"),
    ],
    ids=[
        "too-short",
        "too-long",
        "letter",
        "month-13",
        "not-leap",
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
        ("111100000000I1135M", "position 13 holds a character a credit code never uses"),
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


# The region code as it really is: where the number was first issued, any code that ever existed.

NANSHAN_1965 = "440305196501011232"  # Shenzhen Nanshan: a code created in 1983, born 1965


def test_a_region_code_created_after_the_birth_year_is_accepted() -> None:
    assert not ric.is_valid(NANSHAN_1965)  # stdnum's birth-year rule would refuse this person

    person = parse_citizen_id(NANSHAN_1965, today=date(2026, 1, 1), max_age_years=130)

    assert person.birth_date == date(1965, 1, 1)
    assert person.region.code == "440305"
    assert person.region.name_zh == "广东省南山区"
    assert person.region_known


def test_a_region_code_abolished_before_the_birth_year_is_accepted() -> None:
    person = parse_citizen_id("110103201501010014")  # Chongwen district, merged away in 2010

    assert person.region.name_zh == "北京市崇文区"
    assert person.region_known


def test_a_region_code_in_use_in_the_birth_year_keeps_that_years_name() -> None:
    body = "44030519850101123"  # 440305 was the Nantou office 1983-1989, Nanshan since 1990
    person = parse_citizen_id(body + ric.calc_check_digit(body + "0"))

    assert person.region.county == "南头区办事处"


@pytest.mark.parametrize(
    ("number", "province"),
    [("449999198001011236", "广东省"), ("990105194912310023", "")],
    ids=["county-unknown", "province-unknown"],
)
def test_an_unknown_region_code_is_accepted_and_flagged(number: str, province: str) -> None:
    person = parse_citizen_id(number, today=date(2026, 1, 1), max_age_years=130)

    assert person.number == number
    assert not person.region_known
    assert person.region == Region(number[:6], province, "", known=False)


# The birth date: not in the future, not more than the policy's years back.

TODAY = date(2026, 3, 1)


def test_a_birth_year_of_1800_is_refused() -> None:
    with pytest.raises(InvalidIdentifier) as caught:
        parse_citizen_id("110105180001010010", today=TODAY, max_age_years=130)

    assert caught.value.kind == "citizen_id"
    assert caught.value.reason == "birth date 1800-01-01 is more than 130 years ago"


def test_a_birth_date_in_the_future_is_refused() -> None:
    with pytest.raises(InvalidIdentifier) as caught:
        parse_citizen_id("110105209901010012", today=TODAY, max_age_years=130)

    assert caught.value.reason == "birth date 2099-01-01 is in the future"


def test_the_oldest_birth_date_is_exactly_the_policys_years_back() -> None:
    oldest = "11010518960301001"
    one_day_older = "11010518960229001"  # 1896 was a leap year
    accepted = parse_citizen_id(
        oldest + ric.calc_check_digit(oldest + "0"), today=TODAY, max_age_years=130
    )

    assert accepted.birth_date == date(1896, 3, 1)
    with pytest.raises(InvalidIdentifier, match="more than 130 years ago"):
        parse_citizen_id(
            one_day_older + ric.calc_check_digit(one_day_older + "0"),
            today=TODAY,
            max_age_years=130,
        )


def test_without_a_day_only_the_form_is_checked() -> None:
    assert parse_citizen_id("110105180001010010").birth_date == date(1800, 1, 1)


def test_the_age_bound_is_the_policys_figure() -> None:
    with pytest.raises(InvalidIdentifier, match="more than 60 years ago"):
        parse_citizen_id(STANDARD, today=TODAY, max_age_years=60)


# Credit codes: the authority, the type and the region are checked, not only the check character.

MONTH_13 = "110105194913310259"  # an ID number mistyped: right check characters both ways


def test_a_mistyped_id_number_is_not_a_credit_code() -> None:
    assert uscc.is_valid(MONTH_13)  # only the check character: what was checked before
    assert not is_credit_code(MONTH_13)
    with pytest.raises(InvalidIdentifier) as caught:
        parse_credit_code(MONTH_13)

    assert (
        caught.value.reason == "region code 010519 (positions 3-8) is not one that has ever existed"
    )


def test_a_mistyped_id_number_is_read_as_an_invalid_citizen_id() -> None:
    with pytest.raises(InvalidIdentifier) as caught:
        parse_subject_number(MONTH_13, today=TODAY, max_age_years=130)

    assert caught.value.kind == "citizen_id"
    assert caught.value.reason == "birth date 19491331 is not a calendar date"


def test_a_number_shaped_like_an_id_number_is_never_read_as_a_credit_code() -> None:
    # Valid in every part as a credit code (authority 2, type 1, region 110119), but a real
    # region code followed by 1980: a mistyped ID number, refused as one.
    shaped = "211101198013010098"
    assert is_credit_code(shaped)

    with pytest.raises(InvalidIdentifier) as caught:
        parse_subject_number(shaped, today=TODAY, max_age_years=130)

    assert caught.value.kind == "citizen_id"
    assert "birth date 19801301" in caught.value.reason


@pytest.mark.parametrize(
    ("raw", "kind"),
    [
        (STANDARD, CitizenId),
        (NANSHAN_1965, CitizenId),
        ("911100001000215036", CreditCode),  # all digits, a real enterprise's shape
        (AMR_USCC, CreditCode),
        ("91110105MA00000012", CreditCode),
    ],
)
def test_a_number_of_either_kind_is_read_as_what_it_is(raw: str, kind: type) -> None:
    assert isinstance(parse_subject_number(raw, today=TODAY, max_age_years=130), kind)


def test_a_valid_credit_code_names_its_authority_type_and_region() -> None:
    code = parse_credit_code("91110000100000000R")

    assert code.organisation_type == OrganisationType(
        "工商", "industry and commerce (market regulation)", "企业", "enterprise"
    )
    assert code.region_code == "110000"
    assert code.region.name_zh == "北京市北京市"
    assert not code.is_national


@pytest.mark.parametrize(
    ("raw", "authority"),
    [
        ("N2110105MA0000001H", "agriculture and rural affairs"),
        ("Y1110000MA0000001Y", "other registration authorities"),
        ("A1100000MA0000001F", "Central Military Commission reform and establishment office"),
    ],
)
def test_authorities_with_letter_codes_are_accepted(raw: str, authority: str) -> None:
    assert parse_credit_code(raw).organisation_type.authority_en == authority
    assert is_credit_code(raw)


def test_a_credit_code_of_a_central_body_carries_the_national_region() -> None:
    code = parse_credit_code("11100000000001234L")

    assert code.is_national
    assert code.organisation_type.type_en == "state organ"


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("B1110000100000000P", "registration authority code B (position 1) is not assigned"),
        (
            "94110000100000000G",
            "organisation type 4 (position 2) is not one that registration authority 9"
            " (industry and commerce (market regulation)) uses",
        ),
        (
            "91449999100000000M",
            "region code 449999 (positions 3-8) is not one that has ever existed",
        ),
    ],
    ids=["authority", "type", "region"],
)
def test_a_credit_code_with_a_right_check_character_but_wrong_parts_is_refused(
    raw: str, reason: str
) -> None:
    assert uscc.calc_check_digit(raw[:17]) == raw[17]  # the check character fits

    with pytest.raises(InvalidIdentifier) as caught:
        parse_credit_code(raw)

    assert caught.value.kind == "uscc"
    assert caught.value.reason == reason
    assert not is_credit_code(raw)


def test_every_shipped_departments_credit_code_is_valid(policy: Policy) -> None:
    for department in policy.departments:
        assert is_credit_code(department.uscc), department.code


def _with_check(first17: str) -> str:
    return first17 + ric.calc_check_digit(first17 + "0")


def test_birth_dates_are_read_as_stdnum_reads_them() -> None:
    # The birth date is read straight from the normalised digits; stdnum's reading (with its
    # own cleaning) is the reference, for every month and day, real or not.
    for year in ("1899", "1900", "1949", "1988", "2000", "2004", "2024"):
        for month in range(14):
            for day in range(33):
                number = _with_check(f"110105{year}{month:02d}{day:02d}002")
                try:
                    expected: date | None = ric.get_birth_date(number)
                except ValueError:  # stdnum's InvalidComponent is a ValueError
                    expected = None
                if expected is None:
                    with pytest.raises(InvalidIdentifier) as refused:
                        parse_citizen_id(number)
                    assert refused.value.code == "id_birth_date"
                else:
                    assert parse_citizen_id(number).birth_date == expected


@pytest.mark.parametrize("position", range(1, 18))
def test_the_first_non_digit_is_the_position_named(position: int) -> None:
    digits = list(STANDARD[:17])
    digits[position - 1] = "A"
    if position < 17:
        digits[16] = "B"  # a second one after it is not the one named
    with pytest.raises(InvalidIdentifier) as refused:
        parse_citizen_id("".join(digits) + "X")
    assert refused.value.code == "id_digits"
    assert dict(refused.value.parts)["position"] == str(position)


@pytest.mark.parametrize(
    "born", [date(2008, 2, 29), date(2007, 3, 1), date(2007, 2, 28), date(2004, 12, 31)]
)
def test_coming_of_age_is_the_first_day_both_age_rules_give_that_age(born: date) -> None:
    """The synthetic population dated a record of someone born on 29 February on the 28th of
    their eighteenth year, when the catalog gate counts them 17: a bench stopped on the reject."""
    from tests.factories import citizen_id
    from xinyong.domain.catalog import SubjectType
    from xinyong.domain.subjects import Subject, coming_of_age

    number = citizen_id(born=born)
    person = parse_citizen_id(number)
    subject = Subject(1, SubjectType.PERSON, number, "某", birth_date=born)
    for years in (16, 18, 30):
        day = coming_of_age(born, years)
        before = day - timedelta(days=1)
        assert person.age_on(day) == subject.age_on(day) == years
        assert person.age_on(before) == subject.age_on(before) == years - 1
