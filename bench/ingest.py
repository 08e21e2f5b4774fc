"""Ingestion speed and memory, each figure beside its target; exit 1 when one misses.

    python bench/batches.py                     # SQLite, and PostgreSQL if TEST_POSTGRES_URL is set
    python bench/batches.py --persons 50000 --memory-records 1000000

Rate: the platform's ingest (parse, validate against the catalog, resolve subjects, upsert, audit,
commit per chunk) in records per second, next to a raw bulk insert of the very rows it stored back
into the same table of the same database in the same run. Target: at least 30% of raw.
Memory: peak resident memory of a separate process ingesting --memory-records records.
Target: under 1 GB.
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

from sqlalchemy import Table, insert, make_url, select, text

from xinyong.db.engine import make_engine
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

RATE_TARGET = 0.30
MEMORY_TARGET_MB = 1024
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


def ingest_files(url: str, files: list[Path]) -> int:
    """Ingest every department file into the database at `url`; return the records stored."""
    policy = load_policy()
    engine = make_engine(url)
    upgrade(engine)
    uow = partial(SqlUnitOfWork, make_session_factory(engine))
    departments.sync_departments(uow(), policy.departments, actor="bench")
    stored = 0
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
                chunk_rows=CHUNK,
            )
        if summary.rejected:
            raise SystemExit(
                f"{file.name}: {summary.rejected} rows rejected; the bench needs clean data"
            )
        stored += summary.accepted
    engine.dispose()
    if not stored:
        raise SystemExit("nothing was stored: the bench database was not empty")
    return stored


def raw_insert_rate(url: str) -> tuple[int, float]:
    """Take the stored records out and insert them back, raw; return (rows, seconds).

    The very rows ingestion stored go back into the very table they came from (same indexes,
    same unique key, same foreign keys), a chunk per transaction, with none of ingestion's work:
    no parsing, validation, subject resolution, upsert decision or audit.
    """
    engine = make_engine(url)
    table: Table = CreditRecordRow.__table__  # type: ignore[assignment]
    columns = [c for c in table.columns if c.name != "id"]
    with engine.begin() as conn:
        rows = [dict(r._mapping) for r in conn.execute(select(*columns).order_by(table.c.id))]
        for dependent in ("identity_reviews", "record_revisions"):
            conn.execute(text(f"DELETE FROM {dependent}"))
        conn.execute(table.delete())
    started = time.perf_counter()
    for i in range(0, len(rows), CHUNK):
        with engine.begin() as conn:
            conn.execute(insert(table), rows[i : i + CHUNK])
    elapsed = time.perf_counter() - started
    engine.dispose()
    return len(rows), elapsed


def rate_figures(
    backend: str, files: list[Path], workdir: Path, pg_url: str | None
) -> list[tuple[str, str, bool]]:
    url = fresh_database(backend, workdir, pg_url, "rate")
    try:
        started = time.perf_counter()
        stored = ingest_files(url, files)
        ours = stored / (time.perf_counter() - started)
        count, seconds = raw_insert_rate(url)
        raw = count / seconds
    finally:
        drop_database(url, pg_url)
    ratio = ours / raw
    return [
        (f"{backend}: ingest", f"{ours:,.0f} records/s ({stored:,} records)", True),
        (f"{backend}: raw bulk insert, same rows", f"{raw:,.0f} records/s", True),
        (
            f"{backend}: ingest / raw",
            f"{ratio:.0%} (target ≥ {RATE_TARGET:.0%})",
            ratio >= RATE_TARGET,
        ),
    ]


def memory_figure(
    backend: str, records: int, workdir: Path, pg_url: str | None
) -> tuple[str, str, bool]:
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
        f"n = ingest_files({url!r}, [Path(p) for p in {[str(f) for f in files]!r}]);"
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
    stored, peak_kb = int(output[0]), int(output[1])
    peak_mb = peak_kb / 1024
    return (
        f"{backend}: peak memory ingesting {stored:,} records",
        f"{peak_mb:,.0f} MB (target < {MEMORY_TARGET_MB} MB)",
        peak_mb < MEMORY_TARGET_MB,
    )


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--persons", type=int, default=60_000, help="population for the rate figures"
    )
    parser.add_argument(
        "--memory-records", type=int, default=1_000_000, help="records for the memory figure"
    )
    parser.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--workdir", type=Path, default=None)
    args = parser.parse_args()
    pg_url = os.environ.get("TEST_POSTGRES_URL") or os.environ.get("XINYONG_BENCH_POSTGRES_URL")
    backends = ["sqlite", "postgresql"] if args.backend == "both" else [args.backend]
    if "postgresql" in backends and not pg_url:
        print("no TEST_POSTGRES_URL: PostgreSQL figures skipped")
        backends.remove("postgresql")
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="xinyong-bench-"))
    workdir.mkdir(parents=True, exist_ok=True)
    print(f"started {datetime.now(UTC):%Y-%m-%d %H:%M} UTC; work in {workdir}")
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
        figures += rate_figures(backend, files, workdir, pg_url)
        if args.memory_records:
            figures.append(memory_figure(backend, args.memory_records, workdir, pg_url))
        for name, value, ok in figures[-4:] if args.memory_records else figures[-3:]:
            print(f"{'ok  ' if ok else 'MISS'} {name}: {value}", flush=True)
    missed = [f for f in figures if not f[2]]
    print(f"{len(figures) - len(missed)} of {len(figures)} figures on target")
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
