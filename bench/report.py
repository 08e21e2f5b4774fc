"""The demo person's PDF report, and checks while reports render beside them, beside the targets.

    python bench/report.py                      # 3 000 demo persons, 50 renders, 2 rounds of 20 s
    python bench/report.py --persons 10000 --renders 200 --seconds 30 --rounds 3

Setup (not timed): `xinyong demo --no-serve` in a temporary folder (a synthetic population, its
listings, and a demo person on the court's list with an account); the person's file is then
looked at as the demo would be used (checks before a flight and a train ticket, a credit agency
under authorisation, the person's own earlier reads: a dozen query-log lines), and the report is
built once, as `GET /api/v1/me/report` builds it.

Timed: `render_report_pdf(data)` (template, layout, font subset, PDF), in Chinese; the first
render of the process is reported apart (it loads the font and parses the stylesheet once).
Target: p95 under 300 ms. The English rendering is measured too, without a target.

Then, on the same demo database, one server process as `xinyong serve` runs it (uvicorn, one
worker) and `wrk` (Debian's package): checks (`POST /api/v1/checks`, 32 connections, one client
thread, about 200 of the population's numbers, the demo person among them) paced to half the
rate the server answers flat out, measured first alone and then while a second `wrk` downloads
the demo person's PDF report (`GET /api/v1/me/report?format=pdf`) one after another on one
connection, in the same run, `--rounds` times in turn. Before the checks, the same report is
fetched `--renders` times alone, one request after another, and its latency printed: read,
issued and printed in the server's print worker and logged, as a person gets it (each read adds
a line to the person's query log, which the report lists, so the document grows as it runs).
Target: the check p99 beside reports no worse than 1.5 times the p99 alone (the medians over
the rounds). The HTTP PDF latency beside the checks is printed too.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import text

sys.path.insert(0, str(Path(__file__).resolve().parent))

from check import machine
from xinyong.db.engine import make_engine
from xinyong.db.unit_of_work import SqlUnitOfWork, make_session_factory
from xinyong.domain import vault as _vault
from xinyong.domain.access import ROLE_SCOPES, Role
from xinyong.domain.accounts import Account
from xinyong.domain.index import subject_key
from xinyong.domain.policy import Policy, load_policy
from xinyong.domain.querylog import QueryEntry
from xinyong.services import keys
from xinyong.services.pdf import Printer, PrintWorkers, render_pdf
from xinyong.services.report_data import ReportData
from xinyong.services.report_render import prepare, render_report_pdf, stylesheet
from xinyong.services.reports import build_report

# The bench's own keys (docs/at-rest.md), for this process and any server it starts.
os.environ.setdefault("XINYONG_KEYS", json.dumps(_vault.new_material()))
_vault.install(_vault.Vault.from_material(json.loads(os.environ["XINYONG_KEYS"])))

P95_TARGET_MS = 300.0
BESIDE_RATIO_TARGET = 1.5
CHECKING = "BJ-CAAC-NC"  # the civil-aviation desk: its mandate is flights


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
        public_url="http://127.0.0.1:8000",
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


def measure(
    data: ReportData, lang: str, renders: int, printer: Printer = render_pdf
) -> dict[str, float]:
    walls: list[float] = []
    cpus: list[float] = []
    size = 0
    for _ in range(renders):
        wall, cpu = time.perf_counter(), time.process_time()
        pdf = render_report_pdf(data, lang, printer)
        walls.append((time.perf_counter() - wall) * 1000)
        cpus.append((time.process_time() - cpu) * 1000)
        size = len(pdf)
    return {
        "p50": statistics.median(walls),
        "p95": percentile(walls, 0.95),
        "max": max(walls),
        # a print worker's CPU time is not this process's
        "cpu_p50": statistics.median(cpus) if printer is render_pdf else float("nan"),
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


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wrk_command(
    url: str, *, seconds: int, connections: int, script: Path | None, token: str
) -> list[str]:
    command = ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--latency", "--timeout", "60s"]
    if script:
        command += ["-s", str(script)]
    return [*command, "-H", f"Authorization: Bearer {token}", url]


def wrk_figures(output: str) -> dict[str, float]:
    """Requests per second and the latency percentiles (ms) of a `wrk --latency` run."""
    found: dict[str, float] = {}
    for line in output.splitlines():
        parts = line.split()
        if line.startswith("Requests/sec:"):
            found["rate"] = float(parts[1])
        elif parts[:1] in (["50%"], ["90%"], ["99%"]):
            found[parts[0]] = _ms(parts[1])
        elif "Non-2xx" in line or "Socket errors" in line:
            raise SystemExit(f"wrk saw failed requests:\n{output}")
    return found


def _ms(value: str) -> float:
    for unit, factor in (("us", 0.001), ("ms", 1.0), ("s", 1000.0)):
        if value.endswith(unit):
            return float(value[: -len(unit)]) * factor
    return float(value)


def check_script(folder: Path, url: str, *, pause_ms: int | None) -> Path:
    """A wrk script cycling through 200 of the population's numbers, paced by random pauses of
    mean `pause_ms` if given. The demo person is not among them: each check is a line of their
    query log, and the report printed beside the checks must stay the one measured alone."""
    login = json.loads((folder / "var" / "demo-person.json").read_text(encoding="utf-8"))
    engine = make_engine(url)
    with engine.connect() as conn:
        others = conn.scalars(
            text("SELECT number FROM subjects WHERE kind = 'person' ORDER BY id LIMIT 201")
        ).all()
    engine.dispose()
    # Numbers are sealed at rest (docs/at-rest.md): the bench holds the keys and opens them.
    opened = (_vault.current().open(n) for n in others)
    numbers = [n for n in opened if n != login["number"]][:200]
    bodies = ",".join(json.dumps(json.dumps({"subject": n, "matter": "flight"})) for n in numbers)
    script = folder / ("check-paced.lua" if pause_ms else "check.lua")
    script.write_text(
        "local bodies = {" + bodies + "}\n"
        "local i = 0\n"
        'wrk.method = "POST"\n'
        'wrk.headers["Content-Type"] = "application/json"\n'
        "request = function()\n"
        "  i = i % #bodies + 1\n"
        "  return wrk.format(nil, nil, nil, bodies[i])\n"
        "end\n"
        + (f"function delay()\n  return math.random(0, {2 * pause_ms})\nend\n" if pause_ms else "")
    )
    return script


def _post(url: str, body: dict[str, str], token: str | None = None) -> dict[str, str]:
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    request = urllib.request.Request(url, json.dumps(body).encode(), headers)  # noqa: S310
    with urllib.request.urlopen(request, timeout=600) as answer:  # noqa: S310 - our server
        found: dict[str, str] = json.loads(answer.read())
    return found


Figures = dict[str, float]


def beside_checks(
    folder: Path, *, seconds: int, rounds: int, renders: int
) -> tuple[Figures, list[tuple[Figures, Figures, Figures]]]:
    """The PDF over HTTP alone (`renders` requests one after another), then (checks alone,
    checks beside reports, reports) per round, on one server."""
    url = f"sqlite:///{folder / 'demo.db'}"
    engine = make_engine(url)
    check_key = keys.create_api_key(
        SqlUnitOfWork(make_session_factory(engine)),
        label="bench checks",
        scopes=ROLE_SCOPES[Role.IMPLEMENTING_DEPARTMENT],
        department=CHECKING,
        actor="bench",
    )
    engine.dispose()
    login = json.loads((folder / "var" / "demo-person.json").read_text(encoding="utf-8"))
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {**os.environ, "XINYONG_DATABASE_URL": url, "XINYONG_LOG_LEVEL": "WARNING"}
    server = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "xinyong.web.app:create_app", "--factory",
         "--port", str(port), "--log-level", "warning", "--no-access-log"],
        env=env,
        cwd=folder,
    )  # fmt: skip
    try:
        for _ in range(600):
            try:
                urllib.request.urlopen(base + "/healthz", timeout=1)  # noqa: S310 - our server
                break
            except OSError:
                time.sleep(0.1)
        token = _post(base + "/api/v1/sessions", {k: login[k] for k in ("number", "password")})
        person = token["token"]
        checks, report = base + "/api/v1/checks", base + "/api/v1/me/report?format=pdf"
        # Warm up: the first check builds the index, the first report loads the font.
        _post(checks, {"subject": login["number"], "matter": "flight"}, check_key)
        first = urllib.request.Request(report, headers={"Authorization": f"Bearer {person}"})  # noqa: S310
        urllib.request.urlopen(first, timeout=600).read()  # noqa: S310 - our server
        # The PDF as the person gets it, one request after another with nothing beside them.
        # Each read is a line of the person's query log, which the report lists: the document
        # grows as they run (its pages at the first and the last are printed beside them).
        alone_ms: list[float] = []
        printed: list[bytes] = []
        for _ in range(renders):
            started = time.perf_counter()
            printed.append(urllib.request.urlopen(first, timeout=600).read())  # noqa: S310
            alone_ms.append((time.perf_counter() - started) * 1000)
        served = {"p50": statistics.median(alone_ms), "p95": percentile(alone_ms, 0.95),
                  "max": max(alone_ms), "first_pages": pages(printed[0]),
                  "last_pages": pages(printed[-1])}  # fmt: skip
        flat = check_script(folder, url, pause_ms=None)
        flat_out = subprocess.run(
            wrk_command(checks, seconds=5, connections=32, script=flat, token=check_key),
            capture_output=True, text=True, check=True,
        ).stdout  # fmt: skip
        rate = wrk_figures(flat_out)["rate"]
        paced = check_script(folder, url, pause_ms=max(1, round(32 * 1000 / (rate / 2))))
        print(f"checks flat out: {rate:.0f}/s; paced to about {rate / 2:.0f}/s")
        results: list[tuple[Figures, Figures, Figures]] = []
        for _ in range(rounds):
            alone = wrk_figures(
                subprocess.run(
                    wrk_command(checks, seconds=seconds, connections=32, script=paced,
                                token=check_key),
                    capture_output=True, text=True, check=True,
                ).stdout
            )  # fmt: skip
            reports = subprocess.Popen(
                wrk_command(report, seconds=seconds + 2, connections=1, script=None, token=person),
                stdout=subprocess.PIPE,
                text=True,
            )
            time.sleep(1)  # the first report is rendering when the checks start
            beside = wrk_figures(
                subprocess.run(
                    wrk_command(checks, seconds=seconds, connections=32, script=paced,
                                token=check_key),
                    capture_output=True, text=True, check=True,
                ).stdout
            )  # fmt: skip
            out, _ = reports.communicate(timeout=seconds + 120)
            results.append((alone, beside, wrk_figures(out)))
    finally:
        server.terminate()
        server.wait(timeout=30)
    return served, results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--persons", type=int, default=3000)
    parser.add_argument("--renders", type=int, default=50)
    parser.add_argument("--seconds", type=int, default=20, help="each wrk run of checks")
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    print(f"load average at the start: {_load()}; {machine()}")
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
        # As the server prints: in a print worker (spawned, warmed up, at a lower priority).
        workers = PrintWorkers(1, warm=(stylesheet(), ""), prepare=prepare)
        try:
            workers.start()
            render_report_pdf(data, "zh", workers)  # waits for the warm-up
            served = measure(data, "zh", args.renders, workers)
        finally:
            workers.close()
        over_http, rounds = beside_checks(
            Path(tmp), seconds=args.seconds, rounds=args.rounds, renders=args.renders
        )
    print(f"\n{'':18}{'p50':>8}{'p95':>8}{'max':>8}{'cpu p50':>9}{'pages':>7}{'size':>9}")
    for name, figures in (("PDF, Chinese", zh), ("PDF, English", en), ("Chinese, worker", served)):
        print(
            f"{name:18}{figures['p50']:>6.0f}ms{figures['p95']:>6.0f}ms{figures['max']:>6.0f}ms"
            f"{figures['cpu_p50']:>7.0f}ms{figures['pages']:>7.0f}{figures['bytes'] / 1024:>7.0f}KB"
        )
    print(
        f"{'Chinese, HTTP':18}{over_http['p50']:>6.0f}ms{over_http['p95']:>6.0f}ms"
        f"{over_http['max']:>6.0f}ms{'':9}{over_http['first_pages']:>3.0f}-{over_http['last_pages']:.0f}"
        "   GET /api/v1/me/report?format=pdf, one after another, nothing beside them"
    )
    print(
        f"\nchecks (p50 / p90 / p99 ms)   {'alone':>20}  {'beside reports':>20}  ratio p99"
        "   reports over HTTP: n, p50 / p99 ms"
    )
    for n, (alone, beside, reports) in enumerate(rounds, 1):
        count = reports["rate"] * (args.seconds + 2)
        print(
            f"round {n}{'':22}{_three(alone):>20}  {_three(beside):>20}"
            f"  {beside['99%'] / alone['99%']:>8.2f}   {count:.0f}, {reports['50%']:.0f} /"
            f" {reports['99%']:.0f}"
        )
    alone_p99 = statistics.median(a["99%"] for a, _, _ in rounds)
    beside_p99 = statistics.median(b["99%"] for _, b, _ in rounds)
    ratio = beside_p99 / alone_p99
    print(f"\nload average at the end (1, 5, 15 min; {os.cpu_count()} CPUs): {_load()}")
    # The target is read on the PDF as the server serves it: printed in a warmed print worker.
    ok = served["p95"] < P95_TARGET_MS
    print(
        f"Chinese PDF p95 {served['p95']:.0f} ms in a print worker, as served"
        f" ({zh['p95']:.0f} ms rendered in this process, over {args.renders} renders);"
        f" target < {P95_TARGET_MS:.0f} ms: {'met' if ok else 'MISSED'}"
    )
    beside_ok = ratio <= BESIDE_RATIO_TARGET
    print(
        f"check p99 beside reports {beside_p99:.2f} ms / alone {alone_p99:.2f} ms = {ratio:.2f}"
        f" (median of {len(rounds)} rounds); target <= {BESIDE_RATIO_TARGET}:"
        f" {'met' if beside_ok else 'MISSED'}"
    )
    return 0 if ok and beside_ok else 1


def _three(figures: dict[str, float]) -> str:
    return f"{figures['50%']:.2f} / {figures['90%']:.2f} / {figures['99%']:.2f}"


def _load() -> str:
    return ", ".join(f"{n:.1f}" for n in os.getloadavg())


if __name__ == "__main__":
    sys.exit(main())
