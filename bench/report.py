"""The demo person's PDF report: render time p50 and p95 over N renders, beside the target.

    python bench/report.py                      # 3 000 demo persons, 50 renders
    python bench/report.py --persons 10000 --renders 200

Setup (not timed): `xinyong demo --no-serve` in a temporary folder (a synthetic population, its
listings, and a demo person on the court's list with an account); the person's file is then
looked at as the demo would be used (checks before a flight and a train ticket, a credit agency
under authorisation, the person's own earlier reads: a dozen query-log lines), and the report is
built once, as `GET /api/v1/me/report` builds it.

Timed: `render_report_pdf(data)` (template, layout, font subset, PDF), in Chinese; the first
render of the process is reported apart (it loads the font and parses the stylesheet once).
Target: p95 under 300 ms. The English rendering is measured too, without a target.

TODO(#12): the second half of the issue's bench belongs here: the check path's p99 while
reports render beside the checks in the same server, against the p99 without them, in the same
run (target: no worse than 1.5 times).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from xinyong.db.engine import make_engine
from xinyong.db.unit_of_work import SqlUnitOfWork, make_session_factory
from xinyong.domain.accounts import Account
from xinyong.domain.index import subject_key
from xinyong.domain.policy import Policy, load_policy
from xinyong.domain.querylog import QueryEntry
from xinyong.services.report_render import render_report_pdf
from xinyong.services.reports import ReportData, build_report

P95_TARGET_MS = 300.0


def demo_report(folder: Path, persons: int) -> ReportData:
    """Load the demo into `folder` and build the demo person's report."""
    env = {**os.environ, "XINYONG_DATABASE_URL": f"sqlite:///{folder / 'demo.db'}"}
    xinyong = Path(sys.executable).with_name("xinyong")
    subprocess.run(
        [str(xinyong), "demo", "--persons", str(persons), "--no-serve"],
        cwd=folder,
        env=env,
        check=True,
        capture_output=True,
    )
    login = json.loads((folder / "var" / "demo-person.json").read_text(encoding="utf-8"))
    engine = make_engine(env["XINYONG_DATABASE_URL"])
    uow = SqlUnitOfWork(make_session_factory(engine))
    policy = load_policy()
    with uow:
        subject = uow.subjects.get_by_number(login["number"])
        if subject is None or subject.id is None:
            raise SystemExit("the demo made no demo person")
        entries = uow.entries.of_subject(subject.id, policy.list_types)
        account = uow.accounts.by_subject(subject.id)
        uow.queries.add_many(
            _looks(policy, subject.number, entries[0].id if entries else 0, account)
        )
        uow.commit()
    data = build_report(
        uow,
        policy,
        subject.id,
        actor=f"account:{account.id if account else 0}",
        secret_key="bench-" + "x" * 32,
    )
    engine.dispose()
    return data


def _looks(policy: Policy, number: str, entry: int, account: Account | None) -> list[QueryEntry]:
    """A dozen query-log lines about the person, of every kind the demo produces."""
    key = subject_key(number, organisation=False)
    airline = next(d.code for d in policy.departments if d.kind == "transport")
    agency = next(d.code for d in policy.departments if d.kind == "credit_agency")
    start = datetime(2026, 10, 8, 1, 0, tzinfo=UTC)
    looks = [
        QueryEntry(
            start + timedelta(days=3 * n, minutes=n),
            key,
            "check",
            airline,
            "key:demo",
            matter,
            f"measure registry check: {matter}",
            f"{measure}@{entry}",
        )
        for n, (matter, measure) in enumerate(
            [("flight", "M-COURT-FLIGHT"), ("g_train_seat", "M-COURT-G-TRAIN")] * 3
        )
    ]
    looks += [
        QueryEntry(start + timedelta(days=d), key, "agency", agency, "key:agency", "个人贷款审批",
                   "authorisation 1", "entry@" + str(entry))
        for d in (2, 9)
    ]  # fmt: skip
    looks += [
        QueryEntry(start + timedelta(days=d), key, "report", None, f"account:{account.id}",
                   "own report", "the person's own", "report")
        for d in (1, 5, 12, 20)
        if account is not None
    ]  # fmt: skip
    return looks


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def measure(data: ReportData, lang: str, renders: int) -> dict[str, float]:
    walls: list[float] = []
    cpus: list[float] = []
    size = 0
    for _ in range(renders):
        wall, cpu = time.perf_counter(), time.process_time()
        pdf = render_report_pdf(data, lang)
        walls.append((time.perf_counter() - wall) * 1000)
        cpus.append((time.process_time() - cpu) * 1000)
        size = len(pdf)
    return {
        "p50": statistics.median(walls),
        "p95": percentile(walls, 0.95),
        "max": max(walls),
        "cpu_p50": statistics.median(cpus),
        "bytes": size,
        "pages": pages(pdf),
    }


def pages(pdf: bytes) -> float:
    """The PDF's page count by poppler's pdfinfo (NaN when poppler-utils is not installed)."""
    with tempfile.NamedTemporaryFile(suffix=".pdf") as file:
        file.write(pdf)
        file.flush()
        try:
            info = subprocess.run(
                ["pdfinfo", file.name], capture_output=True, text=True, check=True
            ).stdout
        except (OSError, subprocess.CalledProcessError):
            return float("nan")
    found = [line.split()[-1] for line in info.splitlines() if line.startswith("Pages:")]
    return float(found[0]) if found else float("nan")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--persons", type=int, default=3000)
    parser.add_argument("--renders", type=int, default=50)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="xinyong-bench-report-") as tmp:
        started = time.perf_counter()
        data = demo_report(Path(tmp), args.persons)
        print(f"setup: demo of {args.persons} persons in {time.perf_counter() - started:.1f} s;")
        print(
            f"the demo person has {len(data.records)} records, {len(data.entries)} list entries,"
            f" {len(data.measures)} measures, {len(data.queries)} logged queries"
        )
        cold = time.perf_counter()
        render_report_pdf(data)
        print(
            f"first render (loads the font, parses the stylesheet): "
            f"{(time.perf_counter() - cold) * 1000:.0f} ms"
        )
        zh = measure(data, "zh", args.renders)
        en = measure(data, "en", max(args.renders // 5, 5))
    print(f"\n{'':18}{'p50':>8}{'p95':>8}{'max':>8}{'cpu p50':>9}{'pages':>7}{'size':>9}")
    for name, figures in (("PDF, Chinese", zh), ("PDF, English", en)):
        print(
            f"{name:18}{figures['p50']:>6.0f}ms{figures['p95']:>6.0f}ms{figures['max']:>6.0f}ms"
            f"{figures['cpu_p50']:>7.0f}ms{figures['pages']:>7.0f}{figures['bytes'] / 1024:>7.0f}KB"
        )
    load = ", ".join(f"{n:.1f}" for n in os.getloadavg())
    print(f"\nload average during the run (1, 5, 15 min; {os.cpu_count()} CPUs): {load}")
    ok = zh["p95"] < P95_TARGET_MS
    print(
        f"Chinese PDF p95 {zh['p95']:.0f} ms over {args.renders} renders;"
        f" target < {P95_TARGET_MS:.0f} ms: {'met' if ok else 'MISSED'}"
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
