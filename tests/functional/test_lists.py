"""Lists over HTTP and through `xinyong lists`: list types, a listing's procedure, and periods
counted from the decision counted again from the binding day (`lists mend-notice-periods`)."""

from __future__ import annotations

import csv
import io
import subprocess
import sys
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from tests.conftest import Clock
from tests.factories import (
    citizen_id,
    debtor_row,
    penalty_row,
    rail_row,
    serious_penalty_row,
    tax_violation_row,
    volunteer_row,
)
from tests.functional.helpers import (
    Headers,
    KeyFor,
    UowFactory,
    assert_problem,
    auth,
    check,
    feed,
    log_in,
    measures_for,
    propose_food_listing,
    public_record,
    record_in,
    record_listing,
    report,
    run,
    sign_up,
    squashed,
    submit,
    words,
)
from xinyong.domain.access import ROLE_SCOPES, Role, Scope
from xinyong.domain.calendar import business_date
from xinyong.domain.lists import EntryState, ListEntry
from xinyong.domain.policy import Policy
from xinyong.services import expiry
from xinyong.services.records import submit_record

# List types and measures


def test_the_list_types_and_measures_are_served_from_the_policy(
    client: TestClient, key_for: Callable[..., str]
) -> None:
    headers = {"Authorization": f"Bearer {key_for({Scope.LISTS_READ})}"}
    types = client.get("/api/v1/lists/types", headers=headers)
    assert types.status_code == 200
    assert "COURT-DEBTORS" in {t["code"] for t in types.json()}
    court = client.get("/api/v1/lists/types/COURT-DEBTORS", headers=headers).json()
    assert court["decided_by"] == "court"
    flights = client.get("/api/v1/measures", params={"matter": "flight"}, headers=headers).json()
    assert flights
    assert all("flight" in m["matters"] for m in flights)
    assert any("COURT-DEBTORS" in m["triggers"] for m in flights)
    unknown = client.get("/api/v1/measures", params={"matter": "moon-landing"}, headers=headers)
    assert unknown.status_code == 404
    assert unknown.headers["content-type"].startswith("application/problem+json")


def test_the_list_types_and_measures_are_listed(database: str) -> None:
    types = run("lists", "types")
    assert types.exit_code == 0
    assert "COURT-DEBTORS" in types.output
    shown = run("lists", "show", "COURT-DEBTORS")
    assert shown.exit_code == 0
    assert "exit grounds" in shown.output
    assert run("lists", "show", "NOPE").exit_code == 1
    flights = run("measures", "list", "--matter", "flight")
    assert flights.exit_code == 0
    assert "COURT-DEBTORS" in squashed(flights.output)
    assert run("measures", "list", "--matter", "moon").exit_code == 1


# The listing procedure


def test_a_platform_listing_waits_for_its_notice_and_the_defence_window(
    client: TestClient, amr: dict[str, str], permits: dict[str, str], clock: Clock
) -> None:
    number = citizen_id(born=date(1970, 1, 2))
    record = submit(client, amr, serious_penalty_row(subject_id=number))
    entry_id = propose_food_listing(client, amr, number, record)
    url = f"/api/v1/lists/entries/{entry_id}"
    decision = {"reasons": "the grounds are established"}

    early = client.post(f"{url}/decision", json=decision, headers=amr)
    assert early.status_code == 409
    assert "proposed" in early.json()["detail"]

    # Friday 2026-11-20: five working days later is Friday 2026-11-27.
    noticed = client.post(f"{url}/notice", headers=amr)
    assert noticed.status_code == 200, noticed.text
    assert noticed.json()["defence_deadline"] == "2026-11-27"
    assert noticed.json()["defence_deadline_official"] is True

    clock.advance(days=7)  # the deadline day itself: still the person's
    on_deadline = client.post(f"{url}/decision", json=decision, headers=amr)
    assert on_deadline.status_code == 409
    assert "2026-11-27" in on_deadline.json()["detail"]
    assert check(client, permits, number, "administrative_permit")["measures"] == []

    clock.advance(days=3)  # Monday 2026-11-30
    decided = client.post(f"{url}/decision", json=decision, headers=amr)
    assert decided.status_code == 200, decided.text
    assert decided.json()["state"] == "decided"
    assert decided.json()["decided_on"] == "2026-11-30"
    measures = check(client, permits, number, "administrative_permit")["measures"]
    assert measures
    assert {m["triggered_by"]["id"] for m in measures} == {entry_id}

    published = client.post(f"{url}/publication", headers=amr)
    assert published.json()["state"] == "published"

    notice = client.get(f"{url}/notice", headers=amr)
    assert notice.status_code == 200
    assert notice.headers["content-type"].startswith("text/html")
    assert f"{number[:10]}****{number[14:]}" in notice.text
    assert number not in notice.text
    assert "2026-11-27" in notice.text or "2026年11月27日" in notice.text
    pdf = client.get(f"{url}/decision", params={"format": "pdf"}, headers=amr)
    if pdf.status_code == 503:
        pytest.skip(f"PDF rendering unavailable here: {pdf.json()['detail']}")
    assert pdf.status_code == 200
    assert pdf.content.startswith(b"%PDF")


def test_proposals_the_law_does_not_allow_are_refused(
    client: TestClient, amr: dict[str, str], key_for: KeyFor
) -> None:
    minor = citizen_id(born=date(2012, 6, 1))
    record = submit(client, amr, penalty_row(subject_id=minor))
    proposal = {
        "list_type": "FOOD-DRUG-SERIOUS",
        "subject": minor,
        "grounds": "x",
        "basis_records": [record],
    }
    refused = client.post("/api/v1/lists/proposals", json=proposal, headers=amr)
    assert refused.status_code == 403
    assert "minor" in refused.json()["detail"]
    assert minor not in refused.text

    adult = citizen_id(born=date(1980, 1, 1))
    other = submit(client, amr, penalty_row(subject_id=citizen_id(born=date(1981, 1, 1))))
    own_record = submit(client, amr, serious_penalty_row(subject_id=adult))
    someone_elses = client.post(
        "/api/v1/lists/proposals",
        json={**proposal, "subject": adult, "basis_records": [other]},
        headers=amr,
    )
    assert someone_elses.status_code == 422
    assert "someone else" in someone_elses.json()["detail"]
    court_list = client.post(
        "/api/v1/lists/proposals",
        json={
            **proposal,
            "subject": adult,
            "list_type": "COURT-DEBTORS",
            "basis_records": [own_record],
        },
        headers=amr,
    )
    assert court_list.status_code == 403
    assert "court" in court_list.json()["detail"]

    own = client.post(
        "/api/v1/lists/proposals",
        json={**proposal, "subject": adult, "basis_records": [own_record]},
        headers=amr,
    )
    assert own.status_code == 201, own.text
    stranger = auth(key_for(ROLE_SCOPES[Role.SOURCE_DEPARTMENT], "BJ-TAX"))
    hidden = client.post(f"/api/v1/lists/entries/{own.json()['id']}/notice", headers=stranger)
    assert hidden.status_code == 404


def test_a_wrong_exit_ground_is_refused_with_the_grounds_there_are(debtor: str) -> None:
    run("lists", "court-sync")
    result = run("lists", "exit", "1", "--ground", "bored")
    assert result.exit_code == 2
    assert "performance" in words(result.output)


def test_nobody_but_the_court_puts_anyone_on_the_courts_list(
    client: TestClient,
    court: Headers,
    amr: Headers,
    staff: Headers,
    tax: Headers,
    airline: Headers,
    seeded: UowFactory,
) -> None:
    number = citizen_id(born=date(1980, 1, 1))
    submit(client, amr, penalty_row(subject_id=number))
    for headers in (amr, staff):
        refused = record_listing(client, headers, number)
        assert refused.status_code == 403, refused.text
        assert "only its deciding authority records it" in refused.json()["detail"]
    # The tax bureau decides its own list, but only on a finding of its own about this person.
    refused = record_listing(client, tax, number, "TAX-MAJOR-VIOLATION")
    assert refused.status_code == 403, refused.text
    assert "holds no displayable record of its own" in refused.json()["detail"]
    # Even the court needs its own record about the person.
    refused = record_listing(client, court, number)
    assert refused.status_code == 403, refused.text
    assert measures_for(client, airline, number) == []
    with seeded() as uow:
        assert uow.audit.count("mandate:refused") == 4
        assert uow.entries.count() == 0

    submit(client, tax, tax_violation_row(subject_id=number, subject_name="王秀英"))
    assert record_listing(client, tax, number, "TAX-MAJOR-VIOLATION").status_code == 201


def test_able_to_perform_but_refuses_has_no_end_and_an_extension_is_recorded_later(
    client: TestClient, court: Headers, airline: Headers, clock: Clock
) -> None:
    refuses = citizen_id(born=date(1971, 1, 1))
    submit(client, court, debtor_row(subject_id=refuses, dishonest_conduct="able_but_refuses"))
    open_ended = record_listing(client, court, refuses).json()
    assert open_ended["ends_on"] is None
    assert open_ended["ground"] == "able_but_refuses"

    evades = citizen_id(born=date(1972, 2, 2))
    submit(client, court, debtor_row(subject_id=evades))
    two_years = record_listing(client, court, evades).json()
    assert two_years["ends_on"] == "2028-10-15"
    url = f"/api/v1/lists/entries/{two_years['id']}/extension"
    too_long = client.post(url, json={"months": 61, "decided_on": "2026-11-01"}, headers=court)
    assert too_long.status_code == 403, too_long.text
    assert "36 to 60 months" in too_long.json()["detail"]
    extended = client.post(url, json={"months": 36, "decided_on": "2026-11-01"}, headers=court)
    assert extended.status_code == 200, extended.text
    assert extended.json()["ends_on"] == "2029-10-15"
    clock.advance(days=365 * 3)  # on 2029-11-19 the extended period has run out
    assert measures_for(client, airline, evades) == []
    assert measures_for(client, airline, refuses) == ["M-COURT-FLIGHT"]


def test_a_deletion_ground_starts_the_courts_three_working_days(
    client: TestClient, court: Headers, staff: Headers, clock: Clock
) -> None:
    number = citizen_id(born=date(1973, 3, 3))
    submit(client, court, debtor_row(subject_id=number))
    entry = record_listing(client, court, number).json()
    url = f"/api/v1/lists/entries/{entry['id']}"
    noted = client.post(
        f"{url}/deletion-ground",
        json={"ground": "performance", "arose_on": "2026-11-19"},
        headers=court,
    )
    assert noted.status_code == 200, noted.text
    # Thursday 2026-11-19 and three working days: Tuesday 2026-11-24.
    assert (noted.json()["deletion_due"], noted.json()["deletion_overdue"]) == ("2026-11-24", False)
    clock.advance(days=5)  # Wednesday 2026-11-25: still listed, one day late
    late = client.get(url, headers=court).json()
    assert (late["state"], late["deletion_overdue"]) == ("decided", True)
    bad = client.post(
        f"{url}/deletion-ground", json={"ground": "expiry", "arose_on": "2026-11-19"}, headers=court
    )
    assert bad.status_code == 409
    deleted = client.post(f"{url}/exit", json={"ground": "performance"}, headers=court)
    assert deleted.json()["deletion_overdue"] is False


# The person's own part: a defence within the window, refusing a good-credit entry


def test_the_person_states_their_own_defence_within_the_window_and_only_on_their_own_entry(
    client: TestClient, amr: dict[str, str], clock: Clock
) -> None:
    number, neighbour = citizen_id(born=date(1968, 4, 9)), citizen_id(born=date(1969, 5, 10))
    record = submit(client, amr, serious_penalty_row(subject_id=number))
    submit(client, amr, penalty_row(subject_id=neighbour, subject_name="李四"))
    person, other = sign_up(client, number, "王秀英"), sign_up(client, neighbour, "李四")
    entry_id = propose_food_listing(client, amr, number, record)
    defence = {"text": "已全部下架并整改，请求不予列入"}
    url = f"/api/v1/me/list-entries/{entry_id}/defence"

    early = client.post(url, json=defence, headers=person.headers)
    assert_problem(early, 409)  # no notice served yet: no window to state it in
    client.post(f"/api/v1/lists/entries/{entry_id}/notice", headers=amr)

    mine = client.get("/api/v1/me/list-entries", headers=person.headers).json()
    assert [(e["id"], e["state"], e["defence_deadline"]) for e in mine] == [
        (entry_id, "noticed", "2026-11-27")
    ]
    assert_problem(client.post(url, json=defence, headers=other.headers), 404)
    assert_problem(client.post(url, json={"text": "  "}, headers=person.headers), 422)

    stated = client.post(url, json=defence, headers=person.headers)
    assert stated.status_code == 200, stated.text
    seen = client.get(f"/api/v1/lists/entries/{entry_id}", headers=amr).json()
    assert seen["defence"] == defence["text"]

    clock.advance(days=10)  # Monday 30 November: the window closed on Friday 27
    log_in(client, person)  # an API token lives minutes
    late = client.post(url, json=defence, headers=person.headers)
    assert "2026-11-27" in assert_problem(late, 409)["detail"]


def test_the_person_refuses_a_volunteer_honour_and_its_rewards_stop_at_once(
    client: TestClient, key_for: KeyFor, amr: dict[str, str]
) -> None:
    civil = auth(key_for(ROLE_SCOPES[Role.SOURCE_DEPARTMENT], "BJ-CIVIL"))
    desk = auth(key_for(ROLE_SCOPES[Role.IMPLEMENTING_DEPARTMENT], "BJ-CIVIL"))
    number = citizen_id(born=date(1990, 7, 1))
    submit(
        client,
        civil,
        volunteer_row(subject_id=number),
    )
    person = sign_up(client, number, "张志愿")
    listed = record_listing(client, civil, number, "GOOD-VOLUNTEER")
    assert listed.status_code == 201, listed.text
    entry_id = listed.json()["id"]
    assert "R-GREEN-CHANNEL" in measures_for(client, desk, number, "administrative_permit")

    # A serious listing is not the person's to refuse.
    record = submit(client, amr, serious_penalty_row(subject_id=number, subject_name="张志愿"))
    serious_id = propose_food_listing(client, amr, number, record)
    refused = client.post(f"/api/v1/me/list-entries/{serious_id}/refusal", headers=person.headers)
    assert "FOOD-DRUG-SERIOUS" in assert_problem(refused, 403)["detail"]

    done = client.post(f"/api/v1/me/list-entries/{entry_id}/refusal", headers=person.headers)
    assert done.status_code == 200, done.text
    assert (done.json()["state"], done.json()["exit_ground"]) == ("exited", "refusal")
    assert "R-GREEN-CHANNEL" not in measures_for(client, desk, number, "administrative_permit")
    again = client.post(f"/api/v1/me/list-entries/{entry_id}/refusal", headers=person.headers)
    assert_problem(again, 409)


def test_a_listing_document_is_written_under_the_one_naming_rule(
    migrated: str, tmp_path: Path
) -> None:
    """Without --output: entry-<entry>.<kind>.pdf in the current folder; with it, there."""
    number = citizen_id(born=date(1970, 1, 2))
    records = tmp_path / "amr.csv"
    row = serious_penalty_row(subject_id=number)
    records.write_text(
        ",".join(row) + "\n" + ",".join(map(str, row.values())) + "\n", encoding="utf-8"
    )
    assert run("ingest", str(records), "--department", "BJ-AMR").exit_code == 0
    proposed = run(
        "lists", "propose", "--list", "FOOD-DRUG-SERIOUS", "--grounds", "sold food past its date",
        "--record", "1", "--department", "BJ-AMR", stdin=number + "\n",
    )  # fmt: skip
    assert proposed.exit_code == 0, proposed.output
    assert run("lists", "notice", "1").exit_code == 0

    written = run("lists", "document", "1", "notice")
    chosen = run("lists", "document", "1", "notice", "--output", "notice.html")

    assert written.exit_code == 0, written.output
    assert (tmp_path / "entry-1.notice.pdf").read_bytes().startswith(b"%PDF")
    assert chosen.exit_code == 0, chosen.output
    assert "<html" in (tmp_path / "notice.html").read_text(encoding="utf-8")


def test_a_number_piped_to_a_listing_command_is_read_without_a_warning(debtor: str) -> None:
    """A real process (the test runner fakes prompts): the number comes on standard input, and
    no hidden prompt without a terminal draws Python's GetPassWarning."""
    result = subprocess.run(
        [sys.executable, "-W", "default", "-m", "xinyong", "lists", "record",
         "--list", "COURT-DEBTORS", "--grounds", "（2026）京01执123号",
         "--decided-on", date.today().isoformat(), "--department", "BJ-HCOURT"],  # noqa: DTZ011
        input=debtor + "\n",
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )  # fmt: skip

    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    assert "COURT-DEBTORS" in result.stdout
    assert debtor not in result.stdout


def test_a_record_a_court_listing_rests_on_stays_shown_while_the_listing_is_in_force(
    client: TestClient,
    court: Headers,
    airline: Headers,
    clock: Clock,
    seeded: UowFactory,
    policy: Policy,
) -> None:
    """docs/lists-and-measures.md, "A listing keeps its record shown": the court's five years
    outlast the record's own three, and the record is shown (and used) for all five; when the
    court deletes the listing, the record's display ends on the later of its own end and that day.
    """
    person = sign_up(client, citizen_id(born=date(1974, 4, 4)), "王秀英")
    record = submit(client, court, debtor_row(subject_id=person.number, subject_name="王秀英"))
    entry = record_listing(client, court, person.number).json()
    url = f"/api/v1/lists/entries/{entry['id']}"
    extended = client.post(
        f"{url}/extension", json={"months": 60, "decided_on": "2026-11-19"}, headers=court
    )
    assert extended.status_code == 200, extended.text
    assert extended.json()["ends_on"] == "2031-10-15"

    clock.advance(days=365 * 4)  # 2030-11-19: the record's own three years ended 2029-10-15
    expiry.sweep(seeded(), policy, actor="test")
    log_in(client, person)
    assert measures_for(client, airline, person.number) == ["M-COURT-FLIGHT"]
    assert record_in(report(client, person), record)["shown_until"] == "2031-10-15"
    shown = public_record(client, record)
    assert shown is not None
    assert shown["shown_until"] == "2031-10-15"

    client.post(
        f"{url}/deletion-ground",
        json={"ground": "performance", "arose_on": "2030-11-18"},
        headers=court,
    )
    deleted = client.post(f"{url}/exit", json={"ground": "performance"}, headers=court)
    assert deleted.status_code == 200, deleted.text
    expiry.sweep(seeded(), policy, actor="test")
    assert measures_for(client, airline, person.number) == []
    assert public_record(client, record) is None
    with seeded() as uow:
        stored = uow.records.get(record)
        assert (stored.status.value, stored.display_ends) == ("expired", date(2030, 11, 19))


def test_an_open_ended_court_listing_deleted_early_gives_the_record_back_its_own_period(
    client: TestClient, court: Headers, seeded: UowFactory, policy: Policy
) -> None:
    number = citizen_id(born=date(1975, 5, 5))
    row = debtor_row(subject_id=number, dishonest_conduct="able_but_refuses")
    record = submit(client, court, row)
    entry = record_listing(client, court, number).json()
    with seeded() as uow:
        assert uow.records.get(record).display_ends is None  # shown while the listing stands
    url = f"/api/v1/lists/entries/{entry['id']}"
    client.post(
        f"{url}/deletion-ground",
        json={"ground": "performance", "arose_on": "2026-11-19"},
        headers=court,
    )
    assert client.post(f"{url}/exit", json={"ground": "performance"}, headers=court).is_success
    with seeded() as uow:
        stored = uow.records.get(record)
        assert (stored.status.value, stored.display_ends) == ("active", date(2029, 10, 15))


@pytest.mark.parametrize("path", ["record", "batch"])
def test_a_record_a_court_listing_rests_on_stays_shown_when_its_department_corrects_it(
    client: TestClient, court: Headers, seeded: UowFactory, path: str
) -> None:
    """A correction overwrites the record's own display period (the set-based write of a chunk,
    or a single submission): the court's listing resting on it keeps it shown all the same."""
    number = citizen_id(born=date(1975, 5, 5))
    row = debtor_row(subject_id=number, dishonest_conduct="able_but_refuses")
    record = submit(client, court, row)
    assert record_listing(client, court, number).status_code in (200, 201)
    with seeded() as uow:
        assert uow.records.get(record).display_ends is None  # shown while the listing stands

    corrected = {**row, "obligation": "支付货款人民币三十一万元及利息"}
    if path == "record":
        response = client.post("/api/v1/records", json=corrected, headers=court)
    else:
        out = io.StringIO()
        writer = csv.DictWriter(out, fieldnames=list(corrected))
        writer.writeheader()
        writer.writerow(corrected)
        response = client.post(
            "/api/v1/records/batch",
            content=out.getvalue().encode(),
            headers={**court, "content-type": "text/csv"},
        )
    assert response.is_success, response.text

    with seeded() as uow:
        stored = uow.records.get(record)
        assert stored.fields["obligation"] == "支付货款人民币三十一万元及利息"
        assert (stored.status.value, stored.display_ends) == ("active", None)


def _resubmit(client: TestClient, headers: Headers, row: dict[str, object], path: str) -> None:
    """The same document sent again, as one record or as a one-row CSV batch."""
    if path == "record":
        response = client.post("/api/v1/records", json=row, headers=headers)
    else:
        out = io.StringIO()
        writer = csv.DictWriter(out, fieldnames=list(row))
        writer.writeheader()
        writer.writerow(row)
        response = client.post(
            "/api/v1/records/batch",
            content=out.getvalue().encode(),
            headers={**headers, "content-type": "text/csv"},
        )
    assert response.is_success, response.text


def _decided_food_listing(
    client: TestClient, amr: Headers, clock: Clock, row: dict[str, object]
) -> int:
    """A serious food-safety listing decided on the record `row` makes: its entry's id."""
    record = submit(client, amr, row)
    entry_id = propose_food_listing(client, amr, str(row["subject_id"]), record)
    url = f"/api/v1/lists/entries/{entry_id}"
    assert client.post(f"{url}/notice", headers=amr).status_code == 200
    clock.advance(days=10)  # past the five working days of defence
    decided = client.post(f"{url}/decision", json={"reasons": "查证属实"}, headers=amr)
    assert decided.status_code == 200, decided.text
    return entry_id


@pytest.mark.parametrize("path", ["record", "batch"])
def test_a_record_varied_below_its_lists_floor_ends_the_listing_and_tells_who_received_it(
    client: TestClient, amr: Headers, permits: Headers, clock: Clock, path: str
) -> None:
    """docs/lists-and-measures.md, "What ends a listing": the department resends the penalty
    with a fine of 5 000 instead of 80 000; the record is of general severity now, below
    FOOD-DRUG-SERIOUS's floor, so the listing resting on it ends at once, as on a revocation."""
    number = citizen_id(born=date(1972, 2, 2))
    row = serious_penalty_row(subject_id=number)
    entry_id = _decided_food_listing(client, amr, clock, row)
    for _ in range(2):  # the licensing desk received the listing twice
        measures = check(client, permits, number, "administrative_permit")["measures"]
        assert "M-NO-COMMITMENT-ROUTE" in {m["code"] for m in measures}

    _resubmit(client, amr, {**row, "fine_amount": "5000"}, path)

    assert check(client, permits, number, "administrative_permit")["measures"] == []
    entry = client.get(f"/api/v1/lists/entries/{entry_id}", headers=amr).json()
    assert (entry["state"], entry["exit_ground"]) == ("exited", "revocation")
    [told] = [i for i in feed(client, permits) if i["entity_type"] == "list_entry"]
    assert (told["kind"], told["entity_id"]) == ("revoked", entry_id)
    assert "FOOD-DRUG-SERIOUS" in told["detail"]
    assert number not in told["detail"]


@pytest.mark.parametrize("path", ["record", "batch"])
def test_a_court_listing_follows_its_record_to_another_ground_and_tells_who_received_it(
    client: TestClient, court: Headers, airline: Headers, clock: Clock, path: str
) -> None:
    """docs/lists-and-measures.md, "A record varied to another ground": the court resends its
    finding as "able to perform but refuses"; the listing recorded from it follows, with no
    fixed period now, and the airline that received it is told it was corrected, once."""
    number = citizen_id(born=date(1971, 4, 4))
    row = debtor_row(subject_id=number)
    submit(client, court, row)
    listed = record_listing(client, court, number).json()
    assert (listed["ground"], listed["ends_on"]) == ("evades_enforcement", "2028-10-15")
    for _ in range(2):  # the airline received the listing twice
        assert measures_for(client, airline, number) == ["M-COURT-FLIGHT"]

    _resubmit(client, court, {**row, "dishonest_conduct": "able_but_refuses"}, path)

    entry = client.get(f"/api/v1/lists/entries/{listed['id']}", headers=court).json()
    assert (entry["state"], entry["ground"], entry["ends_on"]) == (
        "decided",
        "able_but_refuses",
        None,
    )
    [told] = [i for i in feed(client, airline) if i["entity_type"] == "list_entry"]
    assert (told["kind"], told["entity_id"]) == ("corrected", listed["id"])
    assert "COURT-DEBTORS" in told["detail"]
    assert "able_but_refuses" in told["detail"]
    assert number not in told["detail"]
    clock.advance(days=3 * 365)  # past the two years of the old ground
    assert measures_for(client, airline, number) == ["M-COURT-FLIGHT"]


def test_a_variation_that_still_grounds_the_listing_leaves_it_standing(
    client: TestClient, amr: Headers, permits: Headers, clock: Clock
) -> None:
    number = citizen_id(born=date(1972, 3, 3))
    row = serious_penalty_row(subject_id=number)
    entry_id = _decided_food_listing(client, amr, clock, row)
    check(client, permits, number, "administrative_permit")

    _resubmit(client, amr, {**row, "fine_amount": "90000"}, "record")

    measures = check(client, permits, number, "administrative_permit")["measures"]
    assert "M-NO-COMMITMENT-ROUTE" in {m["code"] for m in measures}
    entry = client.get(f"/api/v1/lists/entries/{entry_id}", headers=amr).json()
    assert entry["state"] == "decided"
    assert [i for i in feed(client, permits) if i["entity_type"] == "list_entry"] == []


# Periods counted from the decision, counted again from the binding day


def test_mend_notice_periods_counts_a_period_again_from_the_binding_day_once(
    seeded: UowFactory, policy: Policy, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A railway listing published three days ago (the command reads the real clock) whose 180
    days were counted from its decision a month ago, as before publication moved them."""
    monkeypatch.setenv("XINYONG_DATABASE_URL", database_url)  # the command reaches this database
    monkeypatch.setenv("COLUMNS", "200")
    number = citizen_id(born=date(1983, 8, 8))
    stored = submit_record(
        seeded(), policy, rail_row(subject_id=number), department="BJ-RAIL", actor="t"
    )
    rail, ground = policy.list_types["RAIL-SERIOUS"], "smoking_on_train"
    today = business_date(datetime.now(UTC))
    decided, published = today - timedelta(days=30), today - timedelta(days=3)
    old = rail.ends_on(decided, ground=ground)
    entry = ListEntry(
        id=None, list_type=rail, subject_id=stored.record.subject_id,
        state=EntryState.PUBLISHED, proposed_by="rail-officer", grounds="在动车组列车上吸烟",
        basis_records=(stored.record.id,), decided_on=decided, published_on=published,
        ends_on=old, ground=ground,
    )  # fmt: skip
    uow = seeded()
    with uow:
        entry_id = uow.entries.add(entry, department="BJ-RAIL", source_record=None, at=uow.now())
        uow.commit()

    listed = run("lists", "mend-notice-periods", "--dry-run")
    assert listed.exit_code == 0, listed.output
    assert "1 periods to count again (dry run: nothing changed)" in words(listed.output)
    assert number not in listed.output

    mended = run("lists", "mend-notice-periods")
    assert mended.exit_code == 0, mended.output
    assert "1 periods counted again; 0 ran out early" in words(mended.output)
    counted = rail.ends_on(rail.takes_force(published), ground=ground)
    [row] = [line for line in mended.output.splitlines() if "RAIL-SERIOUS" in line]
    cells = [c.strip() for c in row.strip("│ ").split("│")]
    assert cells == [
        str(entry_id), "RAIL-SERIOUS", str(stored.record.subject_id), "BJ-RAIL",
        str(rail.takes_force(published)), str(old), str(counted), "mended",
    ]  # fmt: skip
    with seeded() as uow:
        assert uow.entries.get(entry_id, policy.list_types).ends_on == counted

    again = run("lists", "mend-notice-periods")
    assert again.exit_code == 0, again.output
    assert "0 periods counted again; 0 ran out early and stay ended; 0 unclear" in words(
        again.output
    )
