"""`xinyong id check`: is a citizen ID number or credit code well formed, and what does it say."""

from __future__ import annotations

import json
from datetime import date
from typing import TYPE_CHECKING, Annotated

import typer

from xinyong.cli.context import console, fail, policy, settings, settings_are_defaults

if TYPE_CHECKING:  # loaded by the command itself: `--help` stays fast
    from xinyong.domain.identifiers import CitizenId, CreditCode

app = typer.Typer(help="Check identifiers: citizen ID numbers and unified social credit codes.")

KINDS = ("auto", "citizen", "uscc")


def _max_age_years() -> int:
    """The oldest plausible age of a citizen ID number's holder, from the policy in force.

    With the default settings that is the packaged periods file alone: neither the settings
    (pydantic) nor the whole policy need loading, and `id check` answers at once.
    """
    if settings_are_defaults():
        from xinyong.domain.periods import PeriodPolicy
        from xinyong.policy import PACKAGED, read_toml

        periods = PACKAGED / "periods.toml"
        return PeriodPolicy.from_policy(read_toml(periods), str(periods)).max_age_years
    return policy(settings()).periods.max_age_years


def _describe_person(cid: CitizenId, today: date) -> dict[str, object]:
    region = cid.region
    return {
        "valid": True,
        "kind": "citizen_id",
        "number": cid.number,
        "masked": cid.masked,
        "birth_date": cid.birth_date.isoformat(),
        "sex": cid.sex.value,
        "age": cid.age_on(today),
        "region_code": region.code,
        "region_known": region.known,
        "region": (
            region.name_en
            if region.known
            else "not in the region table: accepted, to be reviewed as an identity"
        ),
        "region_zh": f"{region.province} {region.county}".strip(),
    }


def _describe_code(code: CreditCode) -> dict[str, object]:
    kind = code.organisation_type
    national = "national (registered by a central authority)"
    return {
        "valid": True,
        "kind": "unified_social_credit_code",
        "number": code.code,
        "registration_authority": code.registration_authority,
        "registration_authority_name": kind.authority_en,
        "organisation_type": kind.type_en,
        "organisation_type_zh": f"{kind.authority_zh} {kind.type_zh}",
        "region_code": code.region_code,
        "region": national if code.is_national else code.region.name_en,
    }


@app.command("check")
def check(
    number: Annotated[
        str, typer.Argument(help="A citizen ID number or a unified social credit code")
    ],
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object")] = False,
    kind: Annotated[
        str, typer.Option(help="auto, citizen or uscc: which kind of number to expect")
    ] = "auto",
) -> None:
    """Validate a number; exit 0 if valid, 1 if not, with the reason.

    With --kind auto, an all-digit number that fails as a citizen ID number is reported with
    that reason unless it is a credit code in every part (and not shaped like an ID number).
    """
    from xinyong.domain.identifiers import (
        CitizenId,
        InvalidIdentifier,
        parse_citizen_id,
        parse_credit_code,
        parse_subject_number,
    )

    if kind not in KINDS:
        fail(f"--kind must be one of {', '.join(KINDS)}")
    today = date.today()  # noqa: DTZ011 - the local date is what a person at the terminal means
    max_age = _max_age_years()
    try:
        if kind == "uscc":
            found: CitizenId | CreditCode = parse_credit_code(number)
        elif kind == "citizen":
            found = parse_citizen_id(number, today=today, max_age_years=max_age)
        else:
            found = parse_subject_number(number, today=today, max_age_years=max_age)
    except InvalidIdentifier as exc:
        kind_name = "citizen_id" if exc.kind == "citizen_id" else "unified_social_credit_code"
        if as_json:
            typer.echo(json.dumps({"valid": False, "kind": kind_name, "reason": exc.reason}))
        else:
            console.print(
                f"[red]invalid[/] {kind_name.replace('_', ' ')}: {exc.reason}", highlight=False
            )
        raise typer.Exit(1) from None
    if isinstance(found, CitizenId):
        result = _describe_person(found, today)
    else:
        result = _describe_code(found)
    if as_json:
        typer.echo(json.dumps(result, ensure_ascii=False))
        return
    console.print(f"[green]valid[/] {str(result['kind']).replace('_', ' ')}", highlight=False)
    for key, value in result.items():
        if key not in ("valid", "kind"):
            console.print(f"  {key.replace('_', ' ')}: {value}", highlight=False)
