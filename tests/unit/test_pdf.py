"""PDFs print Chinese in the packaged font on a machine with no font at all, or are refused.

The PDFs are rendered in a child process whose fontconfig knows no font directory (as on a
machine with nothing but Python), then read back with pdftotext and pdffonts (poppler-utils).
"""

from __future__ import annotations

import gc
import multiprocessing.connection
import multiprocessing.process
import os
import shutil
import signal
import subprocess
import sys
import time
from concurrent.futures import Future, ProcessPoolExecutor
from pathlib import Path

import pytest

from xinyong.services import fonts, pdf

ROOT = Path(__file__).resolve().parents[2]

#: Renders the report and both listing documents into the folder given, logging WeasyPrint's
#: warnings (a character no font can draw is logged as a `.notdef glyph`) to stderr.
RENDER = """
import logging, sys
from pathlib import Path
logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
from tests.unit.test_documents import decided, make_doc, noticed
from tests.unit.test_reports import make_report
from xinyong.services.documents import html_to_pdf, render_decision_html, render_notice_html
from xinyong.services.report_render import render_report_pdf
out = Path(sys.argv[1])
(out / "report.pdf").write_bytes(render_report_pdf(make_report()))
(out / "report-en.pdf").write_bytes(render_report_pdf(make_report(), lang="en"))
(out / "notice.pdf").write_bytes(html_to_pdf(render_notice_html(make_doc(noticed()))))
(out / "decision.pdf").write_bytes(html_to_pdf(render_decision_html(make_doc(decided()))))
(out / "rare.pdf").write_bytes(render_report_pdf(make_report(name="张喆", region="北京市𬣙区")))
"""

NO_FONTS = """<?xml version="1.0"?>
<!DOCTYPE fontconfig SYSTEM "urn:fontconfig:fonts.dtd">
<fontconfig>
  <cachedir>{cache}</cachedir>
</fontconfig>
"""


def _poppler(tool: str) -> str:
    found = shutil.which(tool)
    if found is None:
        pytest.skip(f"{tool} (poppler-utils) is not installed")
    return found


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """The four PDFs rendered without any system font, and what WeasyPrint logged."""
    folder = tmp_path_factory.mktemp("pdf")
    config = folder / "fonts.conf"
    config.write_text(NO_FONTS.format(cache=folder / "fc-cache"), encoding="utf-8")
    # this checkout's code, whichever checkout the environment installed
    paths = os.pathsep.join([str(ROOT / "src"), str(ROOT)])
    env = {**os.environ, "FONTCONFIG_FILE": str(config), "PYTHONPATH": paths}
    env.pop("FONTCONFIG_PATH", None)
    done = subprocess.run(
        [sys.executable, "-c", RENDER, str(folder)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, f"rendering failed ({done.returncode}): {done.stderr[-3000:]}"
    return folder, done.stderr


def _text(path: Path) -> str:
    return subprocess.run(
        [_poppler("pdftotext"), "-layout", str(path), "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout


def _fonts(path: Path) -> list[str]:
    listing = subprocess.run(
        [_poppler("pdffonts"), str(path)], capture_output=True, text=True, check=True
    ).stdout
    return [line.split()[0] for line in listing.splitlines()[2:] if line.strip()]


def test_no_character_is_drawn_as_a_box_without_system_fonts(rendered: tuple[Path, str]) -> None:
    _, log = rendered

    assert ".notdef" not in log
    assert "cannot be loaded" not in log


@pytest.mark.parametrize(
    ("name", "phrases"),
    [
        ("report.pdf", ("个人公共信用信息报告", "张三", "异议处理中", "行政处罚")),
        ("report-en.pdf", ("Personal Public Credit Information Report", "Administrative penalty")),
        ("notice.pdf", ("事前告知书", "信用修复告知书", "食品安全领域严重失信人员名单")),
        ("decision.pdf", ("列入决定书", "食品安全领域严重失信人员名单", "救济途径")),
    ],
)
def test_text_is_extractable_and_set_in_the_packaged_font(
    rendered: tuple[Path, str], name: str, phrases: tuple[str, ...]
) -> None:
    folder, _ = rendered
    path = folder / name

    text = _text(path)
    for phrase in phrases:
        found = phrase.replace(" ", "") in text.replace(" ", "")
        assert found, f"{phrase!r} is not extractable from {name}"
    embedded = _fonts(path)
    assert embedded
    # set in the common face alone: no character of these documents needs the full one
    assert all(font.endswith("+Xinyong-CJK") for font in embedded), embedded


def test_a_character_outside_the_common_face_prints_from_the_full_face(
    rendered: tuple[Path, str],
) -> None:
    """A name with a character beyond GB 2312 (喆, and 𬣙 from beyond the basic plane) prints
    from the full face, extractable, beside the common face that prints the rest."""
    folder, _ = rendered
    path = folder / "rare.pdf"

    text = _text(path).replace(" ", "")
    assert "张喆" in text
    assert "北京市𬣙区" in text
    assert sorted(font.split("+")[1] for font in _fonts(path)) == [
        "Xinyong-CJK",
        "Xinyong-CJK-Full",
    ]


def test_a_missing_font_package_refuses_the_pdf_with_a_clear_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(fonts, "FONT_PACKAGE", "xinyong_no_such_font_package")
    fonts.packaged_font.cache_clear()
    try:
        with pytest.raises(pdf.FontUnavailable, match="install the `noto-cjk-sans-otc` package"):
            pdf.render_pdf("<p>信用</p>", "/* a stylesheet not printed before */")
    finally:
        fonts.packaged_font.cache_clear()


def test_the_packaged_font_is_the_simplified_chinese_face() -> None:
    font = fonts.packaged_font()

    assert font.path.name == fonts.FONT_FILE
    assert font.face_index == 2  # JP, KR, SC, TC, HK, then the monospaced faces
    css = fonts.font_css()
    assert f'"{fonts.FONT_FAMILY}"; src: url("{fonts.COMMON_URL}")' in css
    assert f'"{fonts.FONT_FAMILY_FULL}"; src: url("{fonts.FULL_URL}")' in css
    assert set(fonts.faces()) == {fonts.COMMON_URL, fonts.FULL_URL}


def test_print_workers_print_in_another_process_the_same_pdf_text() -> None:
    """The server's print workers (`pdf_processes`) give what printing in-process gives; a print
    never runs on the server's interpreter."""
    html = "<html><body><h1>个人公共信用信息报告</h1><p>print workers</p></body></html>"
    try:
        here = pdf.render_pdf(html)
    except pdf.PdfUnavailable as exc:
        pytest.skip(f"PDF rendering unavailable here: {exc}")
    workers = pdf.PrintWorkers(1)
    try:
        there = workers(html)
        again = workers(html, "")
    finally:
        workers.close()
    assert there.startswith(b"%PDF")
    assert len(there) == pytest.approx(len(here), rel=0.05)
    assert len(again) == pytest.approx(len(there), rel=0.05)
    workers.close()  # closing twice is harmless


def fake_print(html: str, stylesheet: str) -> bytes:
    """A print job for the workers that dies on `die`, hangs on `hang`, else answers at once."""
    if "die" in html:
        os._exit(3)  # as a worker killed by the kernel, or crashed in a C library, ends
    if "hang" in html:
        time.sleep(600)
    return b"%PDF-fake " + html.encode()


def test_a_print_worker_that_dies_is_refused_clearly_and_started_again() -> None:
    workers = pdf.PrintWorkers(1, job=fake_print)
    try:
        assert workers("<p>first</p>") == b"%PDF-fake <p>first</p>"
        with pytest.raises(pdf.PrinterFailed, match="stopped while printing"):
            workers("<p>die</p>")
        assert workers("<p>after</p>") == b"%PDF-fake <p>after</p>"
    finally:
        workers.close()


def test_a_print_that_overruns_its_time_is_refused_and_its_worker_killed() -> None:
    # No warm-up print: the worker started again after the kill must answer within the time
    # (its start included), and a real WeasyPrint warm-up takes seconds on a loaded machine.
    workers = pdf.PrintWorkers(1, timeout=3, warm=(), job=fake_print)
    try:
        workers.start()
        with pytest.raises(pdf.PrinterFailed, match="not printed within 3 s"):
            workers("<p>hang</p>")
        assert workers("<p>after</p>") == b"%PDF-fake <p>after</p>"
    finally:
        workers.close()


def test_print_workers_stop_with_a_print_still_running() -> None:
    workers = pdf.PrintWorkers(1, job=fake_print)
    workers.start()
    pool = workers._running()
    # Through the workers' own print job: at idle priority where this machine allows it.
    hanging = pool.submit(pdf._print, pdf._IdlePrinter(fake_print), "<p>hang</p>", "")
    time.sleep(0.5)
    processes = list(pool._processes.values())
    started = time.monotonic()
    workers.close()
    # Ended, as their sentinels tell (`is_alive` may say yes of a worker the pool's own thread
    # reaped first: see the test below).
    assert all(ended(process) for process in processes)
    assert time.monotonic() - started < 30
    assert processes
    hanging.exception(timeout=30)  # the print ended with its worker, and its caller was told


def ended(process: multiprocessing.process.BaseProcess) -> bool:
    """Whether the process has ended, whoever reaped it: its sentinel closes when it ends."""
    return bool(multiprocessing.connection.wait([process.sentinel], timeout=0))


_HELD: list[bytearray] = []


def hold_memory() -> None:
    """As much resident memory as a warmed worker holds, or more: a process gives it back to
    exit, which takes processor time that an idle process does not get on busy cores."""
    held = bytearray(512 << 20)
    held[::4096] = b"x" * len(range(0, len(held), 4096))  # every page touched: resident
    _HELD.append(held)


def printing_idle(
    workers: pdf.PrintWorkers,
) -> tuple[ProcessPoolExecutor, multiprocessing.process.BaseProcess, Future[bytes]]:
    """Start one worker on a print that hangs, once the print runs at idle priority."""
    workers.start()
    pool = workers._running()
    hanging = pool.submit(pdf._print, pdf._IdlePrinter(fake_print), "<p>hang</p>", "")
    [process] = pool._processes.values()
    deadline = time.monotonic() + 60
    while process.pid is None or os.sched_getscheduler(process.pid) != os.SCHED_IDLE:
        assert time.monotonic() < deadline, "the worker never began its print"
        time.sleep(0.05)
    return pool, process, hanging


@pytest.mark.skipif(not hasattr(os, "SCHED_IDLE"), reason="no SCHED_IDLE here")
def test_a_worker_killed_while_it_prints_at_idle_priority_exits_with_every_core_busy(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A worker killed while it printed at idle priority was still alive ten seconds later (a
    CI run, both cores busy): its print had begun after `close` lifted the workers, so the
    kill found it idle. A killed worker is lifted after the kill, when it can idle no more,
    to the server's own priority."""
    if not idle_allowed():
        pytest.skip("a process here may not leave SCHED_IDLE")
    workers = pdf.PrintWorkers(1, warm=(), job=fake_print, prepare=hold_memory)
    pool, process, hanging = printing_idle(workers)
    # As when the print began after `close` lifted the workers: that lift misses it.
    monkeypatch.setattr(pdf, "_lift_all", lambda pool: None)
    busy = [
        subprocess.Popen([sys.executable, "-c", "while True: pass"])
        for _ in range(2 * (os.cpu_count() or 1))
    ]
    try:
        # as a print that overran its time is stopped; a grace long enough for a slow machine,
        # far too short for an idle process on busy cores (which gets next to no time at all)
        pdf._stop(pool, kill=True, grace=10.0)
        # Ended, as its sentinel tells: `is_alive` may still say yes when the pool's own thread
        # reaped the worker first and has not yet set its return code, on busy cores.
        stopped = ended(process)
    finally:
        for loop in busy:
            loop.kill()
            loop.wait()
    assert stopped
    hanging.exception(timeout=30)


@pytest.mark.skipif(not hasattr(os, "SCHED_IDLE"), reason="no SCHED_IDLE here")
def test_a_killed_worker_is_lifted_to_the_servers_own_priority(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """What lets a killed worker exit on busy cores, seen without racing the scheduler: the
    kill is held back (the worker is only stopped), so the lift can be read off the process."""
    if not idle_allowed():
        pytest.skip("a process here may not leave SCHED_IDLE")
    workers = pdf.PrintWorkers(1, warm=(), job=fake_print)
    _, process, _ = printing_idle(workers)
    assert process.pid is not None
    monkeypatch.setattr(process, "kill", lambda: os.kill(process.pid or 0, signal.SIGSTOP))
    try:
        pdf._kill([process])
        assert os.sched_getscheduler(process.pid) == os.SCHED_OTHER
        assert os.getpriority(os.PRIO_PROCESS, process.pid) == os.getpriority(os.PRIO_PROCESS, 0)
    finally:
        os.kill(process.pid, signal.SIGKILL)
        workers.close()


def scheduling(printer: pdf.Printer) -> tuple[int, int, int, int]:
    """A task answering its worker's policy and nice value, while it prints and after."""
    during = tuple(int(part) for part in printer("", "").split())
    return during[0], during[1], os.sched_getscheduler(0), os.nice(0)


def scheduling_now(html: str, stylesheet: str) -> bytes:
    return f"{os.sched_getscheduler(0)} {os.nice(0)}".encode()


def idle_allowed() -> bool:
    """Whether a print worker here (nice 10) may leave SCHED_IDLE: `pdf._may_idle` in a child."""
    code = "import os; os.nice(10); from xinyong.services import pdf; print(pdf._may_idle())"
    answer = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    return answer.stdout.strip() == "True"


@pytest.mark.skipif(not hasattr(os, "SCHED_IDLE"), reason="no SCHED_IDLE here")
def test_a_print_runs_at_idle_priority_and_its_worker_leaves_it_when_the_print_ends() -> None:
    """A print yields its core to any check that wakes (SCHED_IDLE); the worker's reads of the
    database and its exit do not wait for idle cores (nice 10 outside a print)."""
    if not idle_allowed():
        pytest.skip("a process here may not leave SCHED_IDLE: its prints stay at nice 10")
    workers = pdf.PrintWorkers(1, warm=(), job=scheduling_now)
    try:
        during, nice_during, after, nice_after = workers.run(scheduling)
    finally:
        workers.close()
    assert during == os.SCHED_IDLE
    assert after == os.SCHED_OTHER
    assert nice_during == nice_after == min(19, os.nice(0) + 10)


def collecting_now(html: str, stylesheet: str) -> bytes:
    return str(gc.isenabled()).encode()


def collecting(printer: pdf.Printer) -> tuple[str, bool]:
    """A task answering whether its worker collects garbage while it prints, and after."""
    return printer("", "").decode(), gc.isenabled()


def test_a_worker_collects_garbage_after_a_print_not_during_it() -> None:
    """A collection in the middle of a print walks the whole live document (tens of
    milliseconds, every few prints: the report's tail latency); after the print it is cheap,
    and the collector is on again for the worker's other work."""
    workers = pdf.PrintWorkers(1, warm=(), job=collecting_now)
    try:
        during, after = workers.run(collecting)
    finally:
        workers.close()
    assert during == "False"
    assert after is True


def slow_scheduling(html: str, stylesheet: str) -> bytes:
    """A print job that takes two seconds, then answers its worker's policy."""
    time.sleep(2)
    return scheduling_now(html, stylesheet)


@pytest.mark.skipif(not hasattr(os, "SCHED_IDLE"), reason="no SCHED_IDLE here")
def test_a_print_that_waits_out_its_patience_is_lifted_to_the_workers_nice_value() -> None:
    """Idle priority must not starve a report behind a batch: after `patience` seconds the
    print continues at nice 10."""
    if not idle_allowed():
        pytest.skip("a process here may not leave SCHED_IDLE")
    patient = pdf.PrintWorkers(1, warm=(), job=slow_scheduling, patience=30)
    hasty = pdf.PrintWorkers(1, warm=(), job=slow_scheduling, patience=0.1)
    try:
        waited = [int(part) for part in patient("").split()]
        lifted = [int(part) for part in hasty("").split()]
    finally:
        patient.close()
        hasty.close()
    assert waited[0] == os.SCHED_IDLE
    assert lifted[0] == os.SCHED_OTHER
    assert lifted[1] == min(19, os.nice(0) + 10)


@pytest.mark.skipif(not hasattr(os, "SCHED_IDLE"), reason="no SCHED_IDLE here")
def test_a_worker_is_lifted_out_of_idle_priority_before_it_is_stopped() -> None:
    """Killed on busy cores while idle, a worker took more than ten seconds to exit: the
    server lifts it first."""
    if not idle_allowed():
        pytest.skip("a process here may not leave SCHED_IDLE")
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        os.sched_setscheduler(child.pid, os.SCHED_IDLE, os.sched_param(0))
        assert os.sched_getscheduler(child.pid) == os.SCHED_IDLE
        pdf._lift(child.pid)
        assert os.sched_getscheduler(child.pid) == os.SCHED_OTHER
    finally:
        child.kill()
        child.wait()
    pdf._lift(child.pid)  # gone: nothing to lift, and no error


def warmed_stylesheets(html: str, stylesheet: str) -> bytes:
    """A print job answering which stylesheets its worker has parsed (with the font) already."""
    return "\n---\n".join(sorted(pdf._printers)).encode()


def test_print_workers_load_the_font_and_parse_their_stylesheets_before_the_first_print() -> None:
    try:
        pdf.render_pdf("<p>字</p>")
    except pdf.PdfUnavailable as exc:
        pytest.skip(f"PDF rendering unavailable here: {exc}")
    workers = pdf.PrintWorkers(1, warm=("p { color: #123 }", ""), job=warmed_stylesheets)
    try:
        workers.start()
        parsed = workers("<p>first</p>").decode().split("\n---\n")
    finally:
        workers.close()
    assert sorted(parsed) == ["", "p { color: #123 }"]


def test_a_worker_that_cannot_print_still_prepares_what_its_tasks_need(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Without WeasyPrint's libraries the warm-up fails; the worker must still run `prepare`
    (the report's platform), so that a report asked of it is refused for the PDF it cannot
    print (503, with the reason), not for a platform it never built."""

    def unavailable(html: str, stylesheet: str = "") -> bytes:
        raise pdf.PdfUnavailable("no Pango here")

    prepared: list[str] = []
    monkeypatch.setattr(pdf, "render_pdf", unavailable)
    # This is the test's own process: it keeps its scheduling.
    monkeypatch.setattr(pdf, "_yield_to_the_server", lambda: None)
    try:
        pdf._start_worker(("", "p {}"), lambda: prepared.append("prepared"))
    finally:
        gc.unfreeze()
    assert prepared == ["prepared"]


def niceness(html: str, stylesheet: str) -> bytes:
    """A print job answering its worker's nice value."""
    return str(os.nice(0)).encode()


@pytest.mark.skipif(not hasattr(os, "nice"), reason="no nice values here")
def test_a_print_worker_runs_at_a_lower_priority_than_the_server() -> None:
    """A report may wait a little, a ticket counter's check should not: the workers yield."""
    workers = pdf.PrintWorkers(1, warm=(), job=niceness)
    try:
        theirs = int(workers("<p>which</p>").decode())
    finally:
        workers.close()
    assert theirs == min(19, os.nice(0) + 10)
