"""Ingestion speed and memory, each figure beside its target; exit 1 when one misses.

    python bench/ingest.py                     # SQLite, and PostgreSQL if TEST_POSTGRES_URL is set
    python bench/ingest.py --persons 50000 --memory-records 200000,1000000
    python bench/ingest.py --backend sqlite --sqlite-cache-mib 64   # another page cache

Rate: the platform's ingest (parse, validate against the catalog, resolve subjects, decide, audit,
commit per chunk, in the chunk size the platform uses on that database unless --chunk-rows says
otherwise), timed from the first file with the schema, policy and departments ready, in records
per second, next to writing the very rows it stored back into the same table of the same
database in the same run the fastest plain way: COPY on PostgreSQL, one executemany of prepared
tuples on SQLite, 2 000 rows per transaction. Target: at least 50% of that. Also reported: how
long the ingest's write transactions held the database (on SQLite, its one write lock).
Memory: peak resident memory of a separate process ingesting each of --memory-records records;
target: flat (the largest size within 10% of the smallest). On SQLite every figure is taken with
the writing connections' page cache the platform uses (`XINYONG_SQLITE_CACHE_MIB`'s default)
unless --sqlite-cache-mib says otherwise.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from datetime import UTC, date, datetime
from functools import partial
from pathlib import Path

from sqlalchemy import Table, event, make_url, text

from xinyong.config import Settings
from xinyong.db.engine import SQLITE_CACHE_MIB, make_engine
from xinyong.db.migrate import upgrade
from xinyong.db.records import CreditRecordRow
from xinyong.db.unit_of_work import SqlUnitOfWork, make_session_factory
from xinyong.domain import vault as _vault
from xinyong.domain.batches import BatchSource
from xinyong.domain.policy import load_policy
from xinyong.services import departments
from xinyong.services.batches import ingest_batch
from xinyong.services.batchfiles import BatchFormat, fingerprint, read_rows
from xinyong.synth.population import write_population

# The bench's own keys (docs/at-rest.md), for this process and any server it starts.
os.environ.setdefault("XINYONG_KEYS", json.dumps(_vault.new_material()))
_vault.install(_vault.Vault.from_material(json.loads(os.environ["XINYONG_KEYS"])))

RATE_TARGET = 0.50
MEMORY_FLAT = 0.10  # the largest size's peak within 10% of the smallest's
CHUNK = 2000


def fresh_database(backend: str, workdir: Path, pg_url: str | None, tag: str) -> str:
    if backend == "sqlite":
        for stale in workdir.glob(f"bench-{tag}.db*"):
            stale.unlink()
        return f"sqlite:///{workdir / f'bench-{tag}.db'}"
    if not pg_url:
        raise SystemExit("PostgreSQL figures need TEST_POSTGRES_URL")
    name = f"xinyong_bench_{tag}_{os.getpid()}"
    admin_engine = make_engine(pg_url, isolation_level="AUTOCOMMIT")
    with admin_engine.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin_engine.dispose()
    return make_url(pg_url).set(database=name).render_as_string(hide_password=False)


def drop_database(url: str, pg_url: str | None) -> None:
    if url.startswith("sqlite") or not pg_url:
        return
    admin_engine = make_engine(pg_url, isolation_level="AUTOCOMMIT")
    with admin_engine.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{make_url(url).database}" WITH (FORCE)'))
    admin_engine.dispose()


#: How long each write transaction of the last `ingest_files` held the database (seconds):
#: on SQLite, how long its one write lock was held, from the first statement to the commit.
HELD: list[float] = []
#: Seconds the last `ingest_files` took from its first file to its last commit.
TIMED: list[float] = []


def chunk_rows_for(url: str, chunk_rows: int | None) -> int:
    """The rows per chunk: as given, else what the platform uses on that database."""
    return chunk_rows or Settings(database_url=url).chunk_rows()


def ingest_files(
    url: str, files: list[Path], chunk_rows: int | None = None, cache_mib: int = SQLITE_CACHE_MIB
) -> int:
    """Ingest every department file into the database at `url`; return the records stored."""
    policy = load_policy()
    engine = make_engine(url, cache_mib=cache_mib)
    upgrade(engine)
    HELD.clear()
    event.listen(engine, "begin", lambda conn: conn.info.__setitem__("began", time.perf_counter()))
    event.listen(
        engine,
        "commit",
        lambda conn: HELD.append(time.perf_counter() - conn.info.pop("began", time.perf_counter())),
    )
    uow = partial(SqlUnitOfWork, make_session_factory(engine))
    departments.sync_departments(uow(), policy.departments, actor="bench")
    chunk = chunk_rows_for(url, chunk_rows)
    stored = 0
    started = time.perf_counter()  # the schema, the policy and the departments are ready
    for file in files:
        digest, _ = fingerprint(file)
        with file.open("rb") as fh:
            summary = ingest_batch(
                uow(),
                policy,
                read_rows(fh, BatchFormat.CSV),
                department=file.stem,
                actor="bench",
                source=BatchSource.FILE,
                filename=file.name,
                sha256=digest,
                chunk_rows=chunk,
            )
        if summary.rejected:
            raise SystemExit(
                f"{file.name}: {summary.rejected} rows rejected; the bench needs clean data"
            )
        stored += summary.accepted
    TIMED[:] = [time.perf_counter() - started]
    engine.dispose()
    if not stored:
        raise SystemExit("nothing was stored: the bench database was not empty")
    return stored


def raw_insert_rate(url: str, cache_mib: int = SQLITE_CACHE_MIB) -> tuple[int, float]:
    """Take the stored records out and write them back the fastest plain way; (rows, seconds).

    The very rows ingestion stored go back into the very table they came from (same indexes,
    keys and partitions, same foreign keys), a chunk per transaction, with none of ingestion's
    work (no parsing, validation, subject resolution, decision or audit, and no row in
    `record_documents`, which keeps one record per document: ingestion pays for that write, the
    baseline does not): `COPY` on PostgreSQL, one `executemany` of prepared tuples on SQLite.
    """
    engine = make_engine(url, cache_mib=cache_mib)
    table: Table = CreditRecordRow.__table__  # type: ignore[assignment]
    columns = [c for c in table.columns if c.name != "id"]
    names = ", ".join(c.name for c in columns)
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            # The rows as COPY's text format, produced by the database itself.
            raw = conn.connection.dbapi_connection
            cursor = raw.cursor()  # type: ignore[union-attr]
            data = bytearray()
            with cursor.copy(
                f"COPY (SELECT {names} FROM credit_records ORDER BY id) TO STDOUT"
            ) as out:
                for block in out:
                    data += block
            lines = bytes(data).splitlines(keepends=True)
        else:
            lines = []
            rows = conn.exec_driver_sql(f"SELECT {names} FROM credit_records ORDER BY id").all()
        for dependent in ("identity_reviews", "record_revisions", "record_documents"):
            conn.execute(text(f"DELETE FROM {dependent}"))
        conn.execute(table.delete())
    started = time.perf_counter()
    if engine.dialect.name == "postgresql":
        count = len(lines)
        for i in range(0, count, CHUNK):
            raw_conn = engine.raw_connection()
            try:
                cursor = raw_conn.cursor()
                with cursor.copy(f"COPY credit_records ({names}) FROM STDIN") as copy:
                    copy.write(b"".join(lines[i : i + CHUNK]))
                raw_conn.commit()
            finally:
                raw_conn.close()
    else:
        count = len(rows)
        marks = ", ".join("?" * len(columns))
        statement = f"INSERT INTO credit_records ({names}) VALUES ({marks})"
        for i in range(0, count, CHUNK):
            with engine.begin() as conn:
                cursor = conn.connection.cursor()
                cursor.executemany(statement, [tuple(r) for r in rows[i : i + CHUNK]])
                cursor.close()
    elapsed = time.perf_counter() - started
    engine.dispose()
    return count, elapsed


def rate_figures(
    backend: str,
    files: list[Path],
    workdir: Path,
    pg_url: str | None,
    chunk_rows: int | None,
    cache_mib: int = SQLITE_CACHE_MIB,
) -> list[tuple[str, str, bool]]:
    url = fresh_database(backend, workdir, pg_url, "rate")
    chunk = chunk_rows_for(url, chunk_rows)
    try:
        stored = ingest_files(url, files, chunk, cache_mib)
        ours = stored / TIMED[0]
        held = sorted(HELD)
        count, seconds = raw_insert_rate(url, cache_mib)
        raw = count / seconds
    finally:
        drop_database(url, pg_url)
    ratio = ours / raw
    median, top = held[len(held) // 2] * 1000, held[-1] * 1000
    return [
        (
            f"{backend}: ingest, chunks of {chunk:,} rows",
            f"{ours:,.0f} records/s ({stored:,} records)",
            True,
        ),
        (
            f"{backend}: write transactions ({len(held):,}), median / longest",
            f"{median:,.0f} ms / {top:,.0f} ms",
            True,
        ),
        (
            f"{backend}: {'COPY' if backend == 'postgresql' else 'executemany'}, same rows",
            f"{raw:,.0f} records/s",
            True,
        ),
        (
            f"{backend}: ingest / plain write ({_load()})",
            f"{ratio:.0%} (target ≥ {RATE_TARGET:.0%})",
            ratio >= RATE_TARGET,
        ),
    ]


def _load() -> str:
    one, five, _ = os.getloadavg()
    return f"load {one:.1f}/{five:.1f}"


def memory_figures(
    backend: str,
    sizes: list[int],
    workdir: Path,
    pg_url: str | None,
    cache_mib: int = SQLITE_CACHE_MIB,
) -> list[tuple[str, str, bool]]:
    """Peak memory at each size, and whether the largest stays within 10% of the smallest."""
    peaks = [memory_peak(backend, n, workdir, pg_url, cache_mib) for n in sizes]
    out = [
        (f"{backend}: peak memory ingesting {stored:,} records", f"{mb:,.0f} MB", True)
        for stored, mb in peaks
    ]
    if len(peaks) > 1:
        growth = peaks[-1][1] / peaks[0][1] - 1
        out.append(
            (
                f"{backend}: peak memory growth, {peaks[0][0]:,} → {peaks[-1][0]:,} records",
                f"{growth:+.0%} (target within ±{MEMORY_FLAT:.0%})",
                abs(growth) <= MEMORY_FLAT,
            )
        )
    return out


def memory_peak(
    backend: str, records: int, workdir: Path, pg_url: str | None, cache_mib: int = SQLITE_CACHE_MIB
) -> tuple[int, float]:
    """Ingest about `records` records in a child process and read its peak resident memory."""
    persons = int(records / 1.5)
    out = workdir / f"mem-{persons}"
    if not out.exists():
        write_population(load_policy(), persons=persons, out_dir=out, today=date.today())  # noqa: DTZ011
    url = fresh_database(backend, workdir, pg_url, "mem")
    files = sorted(out.glob("*.csv"))
    code = (
        "import sys, resource; from pathlib import Path; sys.path.insert(0, 'bench');"
        "from ingest import ingest_files;"
        f"n = ingest_files({url!r}, [Path(p) for p in {[str(f) for f in files]!r}], None,"
        f" {cache_mib!r});"
        "print(n, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)"
    )
    try:
        output = subprocess.run(
            [sys.executable, "-c", code],
            capture_output=True,
            text=True,
            check=True,
            cwd=Path(__file__).resolve().parent.parent,
        ).stdout.split()
    finally:
        drop_database(url, pg_url)
    return int(output[0]), int(output[1]) / 1024


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--persons", type=int, default=60_000, help="population for the rate figures"
    )
    parser.add_argument(
        "--memory-records",
        default="200000,1000000",
        help="sizes (records) for the memory figures, comma-separated; empty to skip",
    )
    parser.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument(
        "--chunk-rows",
        type=int,
        default=None,
        help="rows per ingest chunk (default: what the platform uses on each database)",
    )
    parser.add_argument(
        "--sqlite-cache-mib",
        type=int,
        default=SQLITE_CACHE_MIB,
        help="SQLite: each writing connection's page cache per file, MiB (default: the platform's)",
    )
    parser.add_argument("--workdir", type=Path, default=None)
    args = parser.parse_args()
    pg_url = os.environ.get("TEST_POSTGRES_URL") or os.environ.get("XINYONG_BENCH_POSTGRES_URL")
    backends = ["sqlite", "postgresql"] if args.backend == "both" else [args.backend]
    if "postgresql" in backends and not pg_url:
        print("no TEST_POSTGRES_URL: PostgreSQL figures skipped")
        backends.remove("postgresql")
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="xinyong-bench-"))
    workdir.mkdir(parents=True, exist_ok=True)
    print(
        f"started {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {_load()}; work in {workdir};"
        f" SQLite page cache {args.sqlite_cache_mib} MiB a file per writing connection"
    )
    population = workdir / f"rate-{args.persons}"
    if not population.exists():
        write_population(
            load_policy(),
            persons=args.persons,
            out_dir=population,
            today=date.today(),  # noqa: DTZ011 - synthetic dates relative to the local day
        )
    files = sorted(population.glob("*.csv"))
    figures: list[tuple[str, str, bool]] = []
    for backend in backends:
        mine = rate_figures(backend, files, workdir, pg_url, args.chunk_rows, args.sqlite_cache_mib)
        sizes = [int(n) for n in args.memory_records.split(",") if n]
        if sizes:
            mine += memory_figures(backend, sizes, workdir, pg_url, args.sqlite_cache_mib)
        for name, value, ok in mine:
            print(f"{'ok  ' if ok else 'MISS'} {name}: {value}", flush=True)
        figures += mine
    missed = [f for f in figures if not f[2]]
    print(f"{len(figures) - len(missed)} of {len(figures)} figures on target")
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
