"""`xinyong id check`: a citizen ID number or credit code explained, or its fault named."""

from __future__ import annotations

import json

import pytest

from tests.functional.helpers import BAD_CHECK_CHARACTER, run, words

VALID_ID = "11010519491231002X"


def test_a_valid_citizen_id_number_is_explained(database: str) -> None:
    result = run("id", "check", VALID_ID)
    assert result.exit_code == 0, result.output
    text = words(result.output)
    assert "valid citizen id" in text
    assert "1949-12-31" in text
    assert "female" in text
    assert "Beijing Chaoyang" in text


def test_an_invalid_check_character_is_named(database: str) -> None:
    result = run("id", "check", BAD_CHECK_CHARACTER)
    assert result.exit_code == 1
    text = words(result.output)
    assert "invalid" in text
    assert "check character is Y" in text
    assert "needs X" in text
    assert "Traceback" not in result.output


def test_a_valid_number_as_json(database: str) -> None:
    result = run("id", "check", VALID_ID, "--json")
    assert result.exit_code == 0
    answer = json.loads(result.stdout)
    assert answer["valid"] is True
    assert answer["kind"] == "citizen_id"
    assert (answer["birth_date"], answer["sex"], answer["region"]) == (
        "1949-12-31",
        "female",
        "Beijing Chaoyang",
    )
    assert answer["masked"] == "1101051949****002X"


def test_an_invalid_number_as_json(database: str) -> None:
    result = run("id", "check", "--json", BAD_CHECK_CHARACTER)
    assert result.exit_code == 1
    answer = json.loads(result.stdout)
    assert answer["valid"] is False
    assert "check character" in answer["reason"]


def test_spaces_and_a_lower_case_x_are_normalised(database: str) -> None:
    result = run("id", "check", "--json", "110105 1949 1231 002x")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["number"] == VALID_ID


def test_a_unified_social_credit_code_is_recognised(database: str) -> None:
    result = run("id", "check", "--json", "91110105MA00000012")
    assert result.exit_code == 0, result.output
    answer = json.loads(result.stdout)
    assert answer["kind"] == "unified_social_credit_code"
    assert answer["region_code"] == "110105"


def test_a_credit_code_of_a_government_body_is_recognised_without_a_kind(database: str) -> None:
    # Its first 17 characters are digits, like a citizen ID number's.
    result = run("id", "check", "--json", "11110000000021135M")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["kind"] == "unified_social_credit_code"


def test_a_credit_code_of_a_government_body_is_valid_with_its_kind(database: str) -> None:
    result = run("id", "check", "--json", "--kind", "uscc", "11110000000021135M")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["registration_authority"] == "1"


def test_a_region_code_newer_than_the_birth_year_is_valid(database: str) -> None:
    # Shenzhen Nanshan (440305) was created in 1983; the holder was born in 1965.
    result = run("id", "check", "440305196501011232")
    assert result.exit_code == 0, result.output
    text = words(result.output)
    assert "valid citizen id" in text
    assert "Guangdong Nanshan" in text


def test_a_mistyped_id_number_is_never_called_a_credit_code(database: str) -> None:
    # Month 13; both check characters happen to fit, and as a credit code its "region" would
    # be 010519.
    result = run("id", "check", "110105194913310259")
    assert result.exit_code == 1, result.output
    text = words(result.output)
    assert "invalid citizen id: birth date 19491331 is not a calendar date" in text
    assert "credit code" not in text
    assert "010519" not in text


def test_a_mistyped_id_number_as_json_is_an_invalid_citizen_id(database: str) -> None:
    result = run("id", "check", "--json", "110105194913310259")
    assert result.exit_code == 1
    answer = json.loads(result.stdout)
    assert (answer["valid"], answer["kind"]) == (False, "citizen_id")
    assert answer["reason"] == "birth date 19491331 is not a calendar date"


@pytest.mark.parametrize(
    ("number", "reason"),
    [
        ("110105180001010010", "birth date 1800-01-01 is more than 130 years ago"),
        ("110105209901010012", "birth date 2099-01-01 is in the future"),
    ],
    ids=["1800", "future"],
)
def test_an_implausible_birth_date_is_refused(database: str, number: str, reason: str) -> None:
    result = run("id", "check", "--json", number)
    assert result.exit_code == 1, result.output
    assert json.loads(result.stdout) == {"valid": False, "kind": "citizen_id", "reason": reason}


def test_an_unknown_region_code_is_valid_and_flagged(database: str) -> None:
    result = run("id", "check", "--json", "449999198001011236")
    assert result.exit_code == 0, result.output
    answer = json.loads(result.stdout)
    assert answer["valid"] is True
    assert answer["region_code"] == "449999"
    assert answer["region_known"] is False
    assert "to be reviewed" in answer["region"]


def test_a_credit_code_says_who_registered_it_and_as_what(database: str) -> None:
    result = run("id", "check", "--json", "91110000100000000R")
    assert result.exit_code == 0, result.output
    answer = json.loads(result.stdout)
    assert answer["kind"] == "unified_social_credit_code"
    assert answer["organisation_type"] == "enterprise"
    assert answer["region"] == "Beijing"


def test_a_credit_code_with_an_unassigned_type_is_invalid(database: str) -> None:
    result = run("id", "check", "--kind", "uscc", "94110000100000000G")
    assert result.exit_code == 1, result.output
    assert "organisation type 4 (position 2) is not one" in words(result.output)


def test_an_unknown_kind_is_refused(database: str) -> None:
    result = run("id", "check", "--kind", "company", VALID_ID)
    assert result.exit_code == 2
    assert "--kind must be one of auto, citizen, uscc" in words(result.output)
