"""The expiry sweep's rate, on SQLite and PostgreSQL.

    TEST_POSTGRES_URL=postgresql://postgres@127.0.0.1:5432/test python bench/sweep.py
    python bench/sweep.py --persons 4000 --backends sqlite

A fresh database gets `--persons` persons with five records each, a tenth of the records past their
display period; an agency received a fifth of those (so the sweep writes notices as well as audit
events); a tenth of the persons were known five years ago and have had nothing in display for four
(each is granted the derived clean status). Then `expiry.sweep` runs in this process, in the chunks
`xinyong sweep` takes (1 000 records; `--chunk` for others), timed from its start to the moment
it turns to the query log's retention (the records and listings done): records expired per second
and this process's CPU time per record (the rest of the time is the database's, and other
processes'); and the whole sweep, with the derived clean status's step apart (it reads every
person's first decision and every negative record's display window), printed with the load average
beside them.
To compare two versions of the code, run this file with each one first on `PYTHONPATH`.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any

from sqlalchemy import insert, text

sys.path.insert(0, str(Path(__file__).resolve().parent))

from check import _load, citizen_ids, drop_database, fresh_database, machine
from xinyong.db.engine import make_engine
from xinyong.db.migrate import upgrade
from xinyong.db.records import CreditRecordRow
from xinyong.db.subjects import SubjectRow
from xinyong.db.unit_of_work import SqlUnitOfWork, make_session_factory
from xinyong.domain import vault as _vault
from xinyong.domain.querylog import Delivered, ItemKind, QueryEntry, encode_returned
from xinyong.services import departments, expiry
from xinyong.services.feed import key_of

os.environ.setdefault("XINYONG_KEYS", json.dumps(_vault.new_material()))
_vault.install(_vault.Vault.from_material(json.loads(os.environ["XINYONG_KEYS"])))

RECORDS_PER_PERSON = 5
CHUNK = 5000


def fill(url: str, persons: int) -> tuple[partial[SqlUnitOfWork], int]:
    """The population; return a unit-of-work factory and how many records are due."""
    from xinyong.domain.policy import load_policy

    policy = load_policy()
    engine = make_engine(url)
    upgrade(engine)
    uow = partial(SqlUnitOfWork, make_session_factory(engine))
    departments.sync_departments(uow(), policy.departments, actor="bench")
    now = datetime.now(UTC)
    today = date.today()  # noqa: DTZ011
    numbers = list(citizen_ids(0, persons))
    with uow() as w:
        subjects = [
            {"kind": "person", "number": n, "name": "测试", "created_at": now} for n in numbers
        ]
        from xinyong.db.subjects import identity_values

        for row in subjects:
            row.update(identity_values("person", str(row["number"])))
        for i in range(0, len(subjects), CHUNK):
            w.session.execute(insert(SubjectRow), subjects[i : i + CHUNK])
        w.commit()
    with uow() as w:
        ids = {s.number: s.id for s in w.subjects.find_by_numbers(numbers).values()}
        rows = []
        serial = 0
        for person, number in enumerate(numbers):
            clean = person % 10 == 4  # known five years, nothing shown for four: clean
            for k in range(RECORDS_PER_PERSON):
                serial += 1
                rows.append(
                    {
                        "department_code": "BJ-AMR",
                        "document_number": f"D{serial}",
                        "document_key": f"D{serial}",
                        "item_code": "ADM-PEN-01",
                        "catalog_version": policy.catalog.version,
                        "subject_id": ids[number],
                        "status": "expired" if clean else "active",
                        "severity": "general",
                        "published": True,
                        "decision_date": today - timedelta(days=5 * 365 if clean else 400),
                        "display_ends": today
                        - timedelta(days=4 * 365 if clean else 1 if serial % 10 == 0 else -365),
                        "retention_ends": today + timedelta(days=5 * 365),
                        "authority_name": "机关",
                        "authority_uscc": "11110000000021186X",
                        "fields": {},
                        "original": {},
                        "content_hash": f"{serial:032x}",
                        "source_row": k + 1,
                        "received_at": now,
                        "updated_at": now,
                    }
                )
        for i in range(0, len(rows), CHUNK):
            w.session.execute(insert(CreditRecordRow), rows[i : i + CHUNK])
        w.commit()
    with uow() as w:
        due = w.records.past_display(today, limit=10**9)
        entries = []
        for record in due[::5]:
            subject = w.subjects.get(record.subject_id)
            entries.append(
                QueryEntry(
                    now,
                    key_of(subject),
                    "agency",
                    "AGENCY-BAIHANG",
                    "bench",
                    "loan_approval",
                    "authorisation",
                    encode_returned([Delivered(ItemKind.RECORD, record.id)]),
                )
            )
        w.queries.add_many(entries)
        w.commit()
    # Statistics as the database keeps them (autovacuum's analyse on PostgreSQL) after a load:
    # planned on an empty table's, the sweep's update read every active record's index entry
    # for each chunk (bench/README.md, `bench/sweep.py`).
    with engine.connect() as conn:
        conn.execute(text("ANALYZE"))
        conn.commit()
    return uow, len(due)


def measure(
    backend: str, persons: int, workdir: Path, pg_url: str | None, chunk: int = 1000
) -> str:
    from xinyong.domain.policy import load_policy

    policy = load_policy()
    url = fresh_database(backend, workdir, pg_url)
    marks: list[float] = []
    spent_cpu: list[float] = []
    retention = expiry.delete_past_retention
    derive = expiry.derive_clean_statuses
    derived: list[float] = []

    def timed(*args: Any, **kwargs: Any) -> tuple[int, int]:
        derived.append(time.perf_counter())
        found = derive(*args, **kwargs)
        derived.append(time.perf_counter())
        return found

    def marked(*args: Any, **kwargs: Any) -> int:
        marks.append(time.perf_counter())  # the records and listings are done
        spent_cpu.append(time.process_time())
        return retention(*args, **kwargs)

    try:
        uow, due = fill(url, persons)
        expiry.delete_past_retention = marked  # type: ignore[assignment]
        expiry.derive_clean_statuses = timed  # type: ignore[assignment]
        started, started_cpu = time.perf_counter(), time.process_time()
        done = expiry.sweep(uow(), policy, actor="bench", chunk=chunk)
        ended = time.perf_counter()
        with uow() as w:
            told = len(w.feed.after("AGENCY-BAIHANG", 0, limit=10**9))
    finally:
        expiry.delete_past_retention = retention  # type: ignore[assignment]
        expiry.derive_clean_statuses = derive  # type: ignore[assignment]
        drop_database(url, pg_url)
    spent = marks[0] - started
    return (
        f"{backend}: {done.expired:,} of {due:,} records expired, {told:,} notices, in"
        f" {spent:.2f} s: {done.expired / spent:,.0f} records/s, this process's CPU"
        f" {(spent_cpu[0] - started_cpu) / max(done.expired, 1) * 1e6:,.0f} µs a record;"
        " the whole sweep"
        f" {ended - started:.2f} s, of which the derived clean status ({done.clean_granted:,}"
        f" granted) {derived[1] - derived[0]:.2f} s ({_load()})"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--persons", type=int, default=4000)
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument(
        "--chunk", type=int, default=1000, help="records a chunk (as `xinyong sweep`)"
    )
    args = parser.parse_args()
    pg_url = os.environ.get("TEST_POSTGRES_URL")
    print(f"{_load()}; {machine()}", flush=True)
    with tempfile.TemporaryDirectory(prefix="xinyong-sweep-") as tmp:
        for backend in args.backends.split(","):
            if backend == "postgresql" and not pg_url:
                print("postgresql: skipped (no TEST_POSTGRES_URL)")
                continue
            print(measure(backend, args.persons, Path(tmp), pg_url, args.chunk), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
