"""`xinyong id check`: is a citizen ID number or credit code well formed, and what does it say."""

from __future__ import annotations

import json
from datetime import date
from typing import Annotated

import typer

from xinyong.cli.context import console
from xinyong.domain.identifiers import (
    InvalidIdentifier,
    normalise,
    parse_citizen_id,
    parse_credit_code,
)

app = typer.Typer(help="Check identifiers: citizen ID numbers and unified social credit codes.")


def _looks_like_credit_code(number: str, today: date) -> bool:
    """Guess the kind: a number that fails as a citizen ID but passes as a credit code is a code."""
    text = normalise(number)
    if not text[:17].isdigit():
        return True
    try:
        parse_citizen_id(number, today=today)
    except InvalidIdentifier:
        try:
            parse_credit_code(number)
        except InvalidIdentifier:
            return False
        return True
    return False


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
    """Validate a number; exit 0 if valid, 1 if not, with the reason."""
    today = date.today()  # noqa: DTZ011 - the local date is what a person at the terminal means
    wants_uscc = kind == "uscc" or (kind == "auto" and _looks_like_credit_code(number, today))
    try:
        if wants_uscc:
            code = parse_credit_code(number)
            result: dict[str, object] = {
                "valid": True,
                "kind": "unified_social_credit_code",
                "number": code.code,
                "registration_authority": code.registration_authority,
                "region_code": code.region_code,
            }
        else:
            cid = parse_citizen_id(number, today=today)
            result = {
                "valid": True,
                "kind": "citizen_id",
                "number": cid.number,
                "masked": cid.masked,
                "birth_date": cid.birth_date.isoformat(),
                "sex": cid.sex.value,
                "age": cid.age_on(today),
                "region_code": cid.region.code,
                "region": cid.region.name_en,
                "region_zh": f"{cid.region.province} {cid.region.county}",
            }
    except InvalidIdentifier as exc:
        kind_name = "citizen_id" if exc.kind == "citizen_id" else "unified_social_credit_code"
        if as_json:
            typer.echo(json.dumps({"valid": False, "kind": kind_name, "reason": exc.reason}))
        else:
            console.print(
                f"[red]invalid[/] {kind_name.replace('_', ' ')}: {exc.reason}", highlight=False
            )
        raise typer.Exit(1) from None
    if as_json:
        typer.echo(json.dumps(result, ensure_ascii=False))
        return
    console.print(f"[green]valid[/] {str(result['kind']).replace('_', ' ')}", highlight=False)
    for key, value in result.items():
        if key not in ("valid", "kind"):
            console.print(f"  {key.replace('_', ' ')}: {value}", highlight=False)
