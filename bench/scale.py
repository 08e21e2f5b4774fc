"""Cost curves: how a node's figures grow with its population, on PostgreSQL.

    TEST_POSTGRES_URL=postgresql://postgres@127.0.0.1:5432/test python bench/scale.py
    python bench/scale.py --sizes 1000000,3000000            # the default
    python bench/scale.py --sizes 10000000                   # checks free disk space first

For each size (persons), a fresh database is filled directly by COPY and SQL (not through the API):
the persons, about five records each (a tenth of them past their display period, for the
sweep), a court listing for a tenth of the persons, and 100 persons with 50 records each (for
the report). Then, each figure printed with the load average beside it:

- load time, database size: the persons' sealed numbers, keyed hashes and keys computed by the
  platform's own code in one worker process a CPU and COPYed in; their records and listings
  made from them in SQL (`INSERT … SELECT`); then the filled tables' unique keys, foreign keys
  and secondary indexes, dropped for the load, built again from the schema's own definitions
  (checked equal afterwards); then VACUUM ANALYZE. The load time counts every part;
- the listing index: build time, and bytes per active entry (target ≤ 32 B);
- screening lookup of 200 000 numbers against parsing them and a Python set lookup (ratio);
- HTTP checks (`xinyong serve` as shipped) against its bare endpoint (ratio), and the check
  p99 paced to half the throughput (< 10 ms);
- a person's file (`read_own_file`: every record, listing, query-log line) for persons with
  50 records: p95 (< 300 ms);
- the expiry sweep: records per second over a time budget, and the time the whole tenth
  would take at that rate (target: under 60 s for 10 M records; bench/sweep.py times the
  sweep alone);
- and the growth of each figure from one size to the next.
"""

from __future__ import annotations

import argparse
import json
import math
import multiprocessing
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, text

sys.path.insert(0, str(Path(__file__).resolve().parent))

from check import (
    _load,
    build_checker,
    citizen_ids,
    drop_database,
    fresh_database,
    http_figures,
    lookup_rate,
    machine,
    screening_file,
    set_lookup_rate,
)
from xinyong.db.engine import make_engine
from xinyong.db.migrate import upgrade
from xinyong.db.subjects import identity_values
from xinyong.db.unit_of_work import SqlUnitOfWork, make_session_factory
from xinyong.domain import vault as _vault
from xinyong.domain.catalog import SubjectType
from xinyong.domain.policy import load_policy
from xinyong.services import departments
from xinyong.services.reports import read_own_file

# The bench's own keys (docs/at-rest.md), for this process and any server it starts.
os.environ.setdefault("XINYONG_KEYS", json.dumps(_vault.new_material()))
_vault.install(_vault.Vault.from_material(json.loads(os.environ["XINYONG_KEYS"])))

RECORDS_PER_PERSON = 5
REPORT_PERSONS = 100
REPORT_RECORDS = 50
BYTES_TARGET = 32
REPORT_P95_TARGET_MS = 300.0
SUBJECT_CHUNK = 20_000
RECORD_CHUNK = 500_000  # persons a statement
#: Bytes of database per record, measured at 1 M persons (420 B with its indexes), with room to
#: spare for the write-ahead log and the index builds' sort files: the space a size needs before
#: it is tried.
BYTES_PER_RECORD_BUDGET = 1_000


#: The tables the bench fills. Their unique keys, foreign keys, the foreign keys of other tables
#: to them and their secondary indexes are dropped for the load and built again from the
#: definitions the migrations gave them (the primary keys stay); the build is part of the load
#: time.
FILLED = ("subjects", "credit_records", "record_documents", "list_entries")
#: (table, name, kind, definition): indexes ('i'), unique keys ('u'), foreign keys ('f').
_DEFERRED = """
SELECT indrelid::regclass::text, indexrelid::regclass::text, 'i', pg_get_indexdef(indexrelid)
FROM pg_index i WHERE indrelid::regclass::text = ANY(:tables) AND NOT EXISTS (
    SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid AND c.conrelid = i.indrelid)
UNION ALL
SELECT conrelid::regclass::text, conname, contype::text, pg_get_constraintdef(oid)
FROM pg_constraint WHERE contype IN ('u', 'f') AND conparentid = 0 AND (
    conrelid::regclass::text = ANY(:tables)
    OR (contype = 'f' AND confrelid::regclass::text = ANY(:tables)))
"""
# Records and listings made from the loaded subjects, in the order and with the values the
# bench wrote them row by row before: record `serial` counts them person by person (the first
# 100 persons 50 each), a tenth past their display period, items in turn.
_RECORDS = """
INSERT INTO credit_records (id, department_code, document_number, document_key, item_code,
  catalog_version, subject_id, status, severity, published, decision_date, display_ends,
  retention_ends, authority_name, authority_uscc, fields, original, content_hash, source_row,
  received_at, updated_at)
SELECT r.serial, (CAST(:depts AS text[]))[r.i], 'D' || r.serial, 'D' || r.serial,
  (CAST(:items AS text[]))[r.i], :version, r.subject, 'active', 'general', true,
  CAST(:decided AS date),
  CASE WHEN r.serial % 10 = 0 THEN CAST(:past AS date) ELSE CAST(:future AS date) END,
  CAST(:retention AS date), '机关', (CAST(:usccs AS text[]))[r.i], '{}', '{}',
  lpad(to_hex(r.serial), 32, '0'), r.k + 1, CAST(:now AS timestamptz), CAST(:now AS timestamptz)
FROM (
  SELECT s AS subject, k, k % :kinds + 1 AS i, CASE WHEN s <= :heavy THEN (s - 1) * :many + k + 1
    ELSE :heavy * :many + (s - :heavy - 1) * :few + k + 1 END AS serial
  FROM generate_series(CAST(:first AS bigint), :last) AS s,
    generate_series(0, CASE WHEN s <= :heavy THEN :many ELSE :few END - 1) AS k
) AS r
"""
# One record per document: each record's document (docs/scale.md).
_DOCUMENTS = """
INSERT INTO record_documents (department_code, document_key, subject_id, record_id)
SELECT department_code, document_key, subject_id, id FROM credit_records
"""
_LISTINGS = """
INSERT INTO list_entries (list_code, subject_id, state, department_code, proposed_by, grounds,
  basis_records, proposed_at, deadline_official, decided_on, ends_on, under_objection,
  updated_at)
SELECT 'COURT-DEBTORS', s, 'decided', 'BJ-HCOURT', 'bench', 'bench', '[]',
  CAST(:now AS timestamptz), true, CAST(:decided AS date), CAST(:future AS date), false,
  CAST(:now AS timestamptz)
FROM generate_series(1, CAST(:persons AS bigint), 10) AS s ORDER BY s
"""


def _subject_lines(first: int, count: int, now: str) -> bytes:
    """COPY text of persons `first` … (ids from 1): the number sealed, the keyed hashes and the
    key, each computed by the platform's own code under the bench's keys."""
    keys = _vault.current()
    out = []
    for i, n in enumerate(citizen_ids(first, count), start=first + 1):
        v = identity_values("person", n)
        out.append(
            f"{i}\tperson\t{keys.seal(n)}\t{v['number_hash']}\t{v['subject_key']}"
            f"\t{v['masked_hash']}\t测试\t{now}\n"
        )
    return "".join(out).encode()


def _copy_subjects(raw: Any, persons: int, now: str) -> None:
    """The subjects, computed in worker processes (one a CPU) while this one COPYs them in."""
    chunks = [(f, min(SUBJECT_CHUNK, persons - f), now) for f in range(0, persons, SUBJECT_CHUNK)]
    cursor = raw.cursor()
    columns = "id, kind, number, number_hash, subject_key, masked_hash, name, created_at"
    with (
        multiprocessing.get_context("fork").Pool(os.cpu_count() or 1) as pool,
        cursor.copy(f"COPY subjects ({columns}) FROM STDIN") as copy,
    ):
        for lines in pool.imap(_star_subject_lines, chunks):
            copy.write(lines)


def _star_subject_lines(args: tuple[int, int, str]) -> bytes:
    return _subject_lines(*args)


def _deferred(conn: Connection) -> list[tuple[str, str, str, str]]:
    """The filled tables' unique keys, foreign keys and secondary indexes, as defined; in the
    order they can be built (indexes, unique keys, foreign keys)."""
    rows = conn.execute(text(_DEFERRED), {"tables": list(FILLED)})
    found = [(str(t), str(n), str(k), str(d)) for t, n, k, d in rows]
    return sorted(found, key=lambda r: ("iuf".index(r[2]), r[0], r[1]))


def load(url: str, persons: int) -> dict[str, float]:
    """Fill the database; return the seconds each part took."""
    policy = load_policy()
    engine = make_engine(url)
    upgrade(engine)
    departments.sync_departments(
        partial(SqlUnitOfWork, make_session_factory(engine))(), policy.departments, actor="bench"
    )
    persons_items = {i.code for i in policy.catalog if i.subject_type is SubjectType.PERSON}
    items = sorted(
        {
            code: (code, dept.code, dept.uscc)
            for dept in sorted(policy.departments, key=lambda d: d.code)
            for code in sorted(dept.items & persons_items)
        }.values()
    )[:RECORDS_PER_PERSON]
    today = date.today()  # noqa: DTZ011
    now = datetime.now(UTC).isoformat()
    values = {
        "version": policy.catalog.version,
        "now": now,
        "past": (today - timedelta(days=1)).isoformat(),
        "future": (today + timedelta(days=365)).isoformat(),
        "retention": (today + timedelta(days=5 * 365)).isoformat(),
        "decided": (today - timedelta(days=30)).isoformat(),
        "heavy": REPORT_PERSONS,
        "many": REPORT_RECORDS,
        "few": RECORDS_PER_PERSON,
        "items": [i[0] for i in items],
        "depts": [i[1] for i in items],
        "usccs": [i[2] for i in items],
        "kinds": len(items),
        "persons": persons,
    }
    timings: dict[str, float] = {}
    with engine.begin() as conn:
        deferred = _deferred(conn)
        for table, name, kind, _ in reversed(deferred):
            drop = (
                f"DROP INDEX {name}"
                if kind == "i"
                else f"ALTER TABLE {table} DROP CONSTRAINT {name}"
            )
            conn.execute(text(drop))
    started = time.perf_counter()
    raw = engine.raw_connection()
    try:
        _copy_subjects(raw, persons, now)
        raw.cursor().execute("SELECT setval('subjects_id_seq', %s)", (persons,))
        raw.commit()
    finally:
        raw.close()
    timings["subjects"] = time.perf_counter() - started
    started = time.perf_counter()
    for first in range(1, persons + 1, RECORD_CHUNK):
        with engine.begin() as conn:
            last = min(persons, first + RECORD_CHUNK - 1)
            conn.execute(text(_RECORDS), {**values, "first": first, "last": last})
    with engine.begin() as conn:
        conn.execute(text("SELECT setval('credit_records_id_seq', max(id)) FROM credit_records"))
        conn.execute(text(_DOCUMENTS))
    timings["records"] = time.perf_counter() - started
    started = time.perf_counter()
    with engine.begin() as conn:
        conn.execute(text(_LISTINGS), values)
    timings["listings"] = time.perf_counter() - started
    started = time.perf_counter()
    with engine.begin() as conn:
        conn.execute(text("SET LOCAL maintenance_work_mem = '1GB'"))
        for table, name, kind, definition in deferred:
            build = (
                definition
                if kind == "i"
                else f"ALTER TABLE {table} ADD CONSTRAINT {name} {definition}"
            )
            conn.execute(text(build))
        if _deferred(conn) != deferred:
            raise SystemExit("the keys and indexes built after the load differ from the schema's")
    timings["indexes and keys"] = time.perf_counter() - started
    started = time.perf_counter()
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE"))
    timings["vacuum analyse"] = time.perf_counter() - started
    engine.dispose()
    return timings


def database_bytes(url: str) -> int:
    engine = make_engine(url)
    with engine.connect() as conn:
        size = int(conn.scalar(text("SELECT pg_database_size(current_database())")) or 0)
    engine.dispose()
    return size


def report_p95(url: str) -> float:
    """p95 in ms of reading the file of a person with 50 records (each of the 100, twice)."""
    policy = load_policy()
    engine = make_engine(url)
    uow = partial(SqlUnitOfWork, make_session_factory(engine))
    times: list[float] = []
    for subject in list(range(1, REPORT_PERSONS + 1)) * 2:
        started = time.perf_counter()
        data = read_own_file(uow(), policy, subject)
        times.append((time.perf_counter() - started) * 1000)
        if len(data.records) < REPORT_RECORDS:
            raise SystemExit(f"person {subject} has {len(data.records)} records, not 50")
    engine.dispose()
    times.sort()
    return times[int(len(times) * 0.95) - 1]


def sweep_rate(url: str, budget: float) -> tuple[int, float]:
    """Run `xinyong sweep` for at most `budget` seconds; return (records expired, seconds)."""
    env = {**os.environ, "XINYONG_DATABASE_URL": url, "XINYONG_LOG_LEVEL": "WARNING"}
    command = [str(Path(sys.executable).with_name("xinyong")), "sweep", "--json"]
    started = time.perf_counter()
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL)
    try:
        process.wait(timeout=budget)
    except subprocess.TimeoutExpired:
        process.terminate()  # every committed chunk of the sweep stays
        process.wait()
    seconds = time.perf_counter() - started
    engine = make_engine(url)
    with engine.connect() as conn:
        expired = int(
            conn.scalar(text("SELECT count(*) FROM credit_records WHERE status = 'expired'")) or 0
        )
    engine.dispose()
    return expired, seconds


Figures = tuple[dict[str, str], dict[str, float]]


def measure(persons: int, workdir: Path, pg_url: str, args: argparse.Namespace) -> Figures:
    """(the figures as printed, the numbers whose growth is printed)."""
    url = fresh_database("postgresql", workdir, pg_url)
    out: dict[str, str] = {"persons": f"{persons:,}"}
    n: dict[str, float] = {}
    try:
        out["load avg at start"] = _load()
        out["machine"] = machine()
        timings = load(url, persons)
        records = persons * RECORDS_PER_PERSON + REPORT_PERSONS * (
            REPORT_RECORDS - RECORDS_PER_PERSON
        )
        out["records"] = f"{records:,}"
        total = sum(timings.values())
        out["load time"] = f"{total:.0f} s ({records / total:,.0f} records/s; {_load()})"
        n["load time"] = total
        out["load parts"] = ", ".join(f"{part} {s:.0f} s" for part, s in timings.items())
        size = database_bytes(url)
        n["database size"] = size
        out["database size"] = f"{size / 2**30:.2f} GiB ({size / records:,.0f} B/record)"
        checker, build_s = build_checker(url)
        entries = len(checker.index)
        per_entry = checker.index.nbytes() / max(1, entries)
        out["index build"] = f"{build_s:.1f} s ({entries:,} entries)"
        n["index build"] = build_s
        n["index bytes per entry"] = per_entry
        out["index bytes per entry"] = (
            f"{per_entry:.0f} B ({'ok' if per_entry <= BYTES_TARGET else 'MISSED'}"
            f" ≤ {BYTES_TARGET})"
        )
        path = screening_file(workdir, args.screen, persons)
        # Per second of wall-clock and of CPU time (bench/check.py): the CPU figure is the
        # steadier one on a shared machine.
        (wall, cpu), _ = lookup_rate(checker, path)
        (base_wall, base_cpu), _ = set_lookup_rate(path, persons)
        out["screening lookup / set lookup"] = (
            f"{cpu / base_cpu:.0%} CPU, {wall / base_wall:.0%} wall ({_load()})"
        )
        n["screening lookup / set lookup"] = cpu / base_cpu
        del checker
        if not args.skip_http:
            f = http_figures(url, workdir, persons, args.seconds, [], two=False)
            out["HTTP checks / bare endpoint"] = (
                f"{f.check_rate / f.bare_rate:.0%} ({f.check_rate:,.0f}/s; {f.loads['flat']})"
            )
            out["check p99, paced"] = f"{f.paced_p99:.1f} ms ({f.loads['idle']})"
            n["HTTP checks / bare endpoint"] = f.check_rate / f.bare_rate
            n["check p99, paced"] = f.paced_p99
        p95 = report_p95(url)
        out["person's file, 50 records, p95"] = (
            f"{p95:.0f} ms ({'ok' if p95 < REPORT_P95_TARGET_MS else 'MISSED'}"
            f" < {REPORT_P95_TARGET_MS:.0f}; {_load()})"
        )
        n["person's file, 50 records, p95"] = p95
        due = records // 10
        expired, seconds = sweep_rate(url, args.sweep_seconds)
        per_second = expired / seconds if seconds else 0.0
        whole = due / per_second if per_second else float("inf")
        out["sweep of the tenth past display"] = (
            f"{expired:,} of {due:,} in {seconds:.0f} s = {per_second:,.0f}/s;"
            f" all: {whole:,.0f} s ({_load()})"
        )
        n["sweep of the tenth past display"] = whole
    finally:
        drop_database(url, pg_url)
    return out, n


def _free_disk_ok(persons: int, pg_url: str) -> tuple[bool, str]:
    engine = make_engine(pg_url)
    with engine.connect() as conn:
        data_dir = str(conn.scalar(text("SHOW data_directory")))
    engine.dispose()
    try:
        free = shutil.disk_usage(data_dir).free
    except OSError:
        free = shutil.disk_usage("/").free
    need = persons * RECORDS_PER_PERSON * BYTES_PER_RECORD_BUDGET
    return free > need, f"{free / 2**30:.0f} GiB free, about {need / 2**30:.0f} GiB needed"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="1000000,3000000")
    parser.add_argument("--screen", type=int, default=200_000)
    parser.add_argument("--seconds", type=int, default=10, help="Length of each wrk run")
    parser.add_argument("--sweep-seconds", type=float, default=120.0)
    parser.add_argument("--skip-http", action="store_true")
    args = parser.parse_args()
    pg_url = os.environ.get("TEST_POSTGRES_URL")
    if not pg_url:
        raise SystemExit("bench/scale.py needs TEST_POSTGRES_URL (PostgreSQL)")
    if not args.skip_http and shutil.which("wrk") is None:
        raise SystemExit("the HTTP figures need wrk (apt-get install wrk), or pass --skip-http")
    random.seed(7)
    results: list[dict[str, str]] = []
    numbers: list[dict[str, float]] = []
    with tempfile.TemporaryDirectory(prefix="xinyong-scale-") as tmp:
        for size in (int(s) for s in args.sizes.split(",")):
            ok, why = _free_disk_ok(size, pg_url)
            print(f"{size:,} persons: {why}", flush=True)
            if not ok:
                print(f"{size:,} persons skipped: not enough disk", flush=True)
                continue
            started = time.perf_counter()
            out, n = measure(size, Path(tmp), pg_url, args)
            results.append(out)
            numbers.append(n)
            print(f"{size:,} persons measured in {time.perf_counter() - started:.0f} s", flush=True)
            for key, value in results[-1].items():
                print(f"  {key}: {value}", flush=True)
    if results:
        keys = list(results[0])
        head = [r["persons"] for r in results] + (["growth"] if len(results) > 1 else [])
        print("\n| figure | " + " | ".join(head) + " |")
        print("|---|" + "---|" * len(head))
        growth = len(results) > 1
        for key in keys[1:]:
            cells = [r.get(key, "-") for r in results]
            first, last = numbers[0].get(key, 0.0), numbers[-1].get(key, 0.0)
            if growth and first and math.isfinite(first) and math.isfinite(last):
                cells.append(f"× {last / first:.2f}")
            elif growth:
                cells.append("")
            print(f"| {key} | " + " | ".join(cells) + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
