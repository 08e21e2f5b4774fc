"""Print HTML as PDF in the font that ships with the project, whatever fonts the machine has.

The Chinese font is a Python dependency (services/fonts.py: its common face, and the full face
for the rest), declared to WeasyPrint by `@font-face` rules and embedded in each PDF as a subset.
Nothing depends on fontconfig finding a system font: a machine with no fonts at all prints the
same PDF. Without the package the PDF is refused (`FontUnavailable`), never printed in boxes.

WeasyPrint's font set-up (loading the font, parsing the stylesheets) happens once per process and
stylesheet, not per document; renders are serialised (one PDF at a time per process).
"""

from __future__ import annotations

import gc
import multiprocessing
import os
import threading
import time
import warnings
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, Final, TypeVar

from xinyong.services.fonts import FontUnavailable, PdfUnavailable, faces, font_css

__all__ = [
    "FontUnavailable",
    "PdfUnavailable",
    "PrintWorkers",
    "Printer",
    "PrinterFailed",
    "render_pdf",
]


def _weasyprint() -> Any:
    try:
        with warnings.catch_warnings():
            # At import WeasyPrint warns when fontconfig knows no system font; the PDF does not
            # need one, since its font is declared by @font-face.
            warnings.filterwarnings("ignore", message=".*[Ff]ont.*", category=UserWarning)
            import weasyprint  # type: ignore[import-untyped]
            import weasyprint.text.fonts  # type: ignore[import-untyped]
            import weasyprint.urls  # type: ignore[import-untyped]
    except (ImportError, OSError) as exc:
        raise PdfUnavailable(
            "PDF output needs WeasyPrint and the libraries it loads:"
            " `pip install weasyprint` and, on Debian or Ubuntu,"
            " `apt-get install -y libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0`."
            f" The import failed with: {exc}"
        ) from exc
    return weasyprint


class _Printer:
    """One stylesheet, parsed once, with the font loaded once; renders one document at a time."""

    def __init__(self, stylesheet: str) -> None:
        fonts = faces()
        weasyprint = _weasyprint()

        class Fetcher(weasyprint.URLFetcher):  # type: ignore[misc,name-defined]
            """Fetch nothing but `data:` URLs and the packaged font's faces."""

            def fetch(self, url: str, headers: Any = None) -> Any:
                if url in fonts:
                    return weasyprint.urls.URLFetcherResponse(url, body=fonts[url])
                return super().fetch(url, headers)

        self._weasyprint = weasyprint
        self._fetcher = Fetcher(allowed_protocols=("data",), allow_redirects=False)
        self._fonts = weasyprint.text.fonts.FontConfiguration()
        self._stylesheets = [
            weasyprint.CSS(
                string=font_css() + stylesheet,
                font_config=self._fonts,
                url_fetcher=self._fetcher,
            )
        ]

    def pdf(self, html: str) -> bytes:
        with _rendering:
            document = self._weasyprint.HTML(string=html, url_fetcher=self._fetcher)
            pdf = document.write_pdf(stylesheets=self._stylesheets, font_config=self._fonts)
        if not isinstance(pdf, bytes):
            raise PdfUnavailable("WeasyPrint returned no PDF bytes")
        return pdf


_printers: dict[str, _Printer] = {}
_printers_lock = threading.Lock()
#: One PDF at a time in a process: WeasyPrint's font set-up is shared, and Pango's font maps are
#: not documented as safe to use from two threads at once.
_rendering = threading.Lock()


def render_pdf(html: str, stylesheet: str = "") -> bytes:
    """Return `html` printed as PDF, with `stylesheet` (CSS text, parsed once) and the font.

    The document may fetch nothing but `data:` URLs. Raises FontUnavailable without the font
    package, PdfUnavailable without WeasyPrint or its system libraries.
    """
    with _printers_lock:
        printer = _printers.get(stylesheet)
        if printer is None:
            printer = _printers[stylesheet] = _Printer(stylesheet)
    return printer.pdf(html)


#: How a caller prints: HTML (and a stylesheet) in, PDF bytes out. `render_pdf` prints in this
#: process; `PrintWorkers` in worker processes.
Printer = Callable[[str, str], bytes]
#: What a task run in a print worker returns (picklable).
T = TypeVar("T")

#: A small page each worker prints with each stylesheet it is warmed with, in Chinese, so that
#: WeasyPrint, Pango and the font are loaded before the first real print.
_WARM_UP: Final = (
    "<html lang='zh'><body><h1>个人公共信用信息报告</h1><p>xinyong 0123</p></body></html>"
)


class PrinterFailed(PdfUnavailable):
    """A print worker ended (crashed or was killed) or overran its time while printing: this
    print is refused, and the workers are started again for the next one."""


def _yield_to_the_server() -> None:
    """Run this process at a lower priority than the server (nice 10): its warm-up, its reads of
    the database (a report's), and, where it may not idle while it prints, its prints."""
    if hasattr(os, "nice"):
        os.nice(10)


@cache
def _may_idle() -> bool:
    """Whether this process may enter Linux's SCHED_IDLE and leave it again.

    Anyone may enter it; leaving it needs CAP_SYS_NICE or a nice limit (RLIMIT_NICE) that admits
    the process's nice value. A process that could not leave it would stay there for good, where
    the kernel gives it almost no time while the cores are busy: too little even to exit.
    """
    if not hasattr(os, "sched_setscheduler") or not hasattr(os, "SCHED_IDLE"):
        return False
    import resource

    limit = resource.getrlimit(resource.RLIMIT_NICE)[0]
    if limit == resource.RLIM_INFINITY or limit >= 20 - os.nice(0):
        return True
    try:
        status = Path("/proc/self/status").read_text(encoding="ascii")
    except OSError:
        return False
    effective = [line.split()[1] for line in status.splitlines() if line.startswith("CapEff:")]
    return bool(effective) and bool(int(effective[0], 16) >> _CAP_SYS_NICE & 1)


#: The capability's bit number in Linux's capability sets (linux/capability.h).
_CAP_SYS_NICE: Final = 23


def _set_policy(pid: int, policy: int) -> None:
    os.sched_setscheduler(pid, policy, os.sched_param(0))  # the nice value is kept


@contextmanager
def _idle_while_printing() -> Iterator[None]:
    """Print at Linux's SCHED_IDLE, where the process may leave it again (`_may_idle`), and
    back at nice 10 after.

    Under SCHED_IDLE a print runs only on a core nothing else wants, and a check's thread that
    wakes takes that core at once; at nice 10 the print still takes a share of it. Measured with
    reports printing back to back beside paced checks on a fast machine: the checks' p99 was
    1.17-1.37 times their p99 alone under SCHED_IDLE, 1.39-1.82 at nice 10; on a slower one both
    stayed within 1.5 (bench/README.md). Reports pay for it: served later. Only the print idles,
    not the worker: a worker idle for good got too little time on busy cores even to exit when
    it was killed (a CI run), and its warm-up and its reads of the database (which may hold a
    lock) would wait the same way. The server lifts a worker out of SCHED_IDLE when its print
    has waited `PrintWorkers`' patience (a second) for an idle core, and before stopping it.
    """
    if not _may_idle():
        yield
        return
    _set_policy(0, os.SCHED_IDLE)
    try:
        yield
    finally:
        _set_policy(0, os.SCHED_OTHER)


@contextmanager
def _collected_after() -> Iterator[None]:
    """Hold the worker's garbage collector off while it prints, and collect once after.

    A print makes hundreds of thousands of objects, alive until the document is done. Left on,
    the collector walked them again and again, and every few prints one full collection walked
    them all: 40 to 170 ms of that print, the tail of the report's latency (bench/README.md).
    One collection after the print frees the same garbage, in 10 to 20 ms. A worker's heap as
    it was warmed up is frozen (`_start_worker`), so that collection walks only what came since.
    """
    gc.disable()
    try:
        yield
    finally:
        gc.enable()
        gc.collect()


@dataclass(frozen=True, slots=True)
class _IdlePrinter:
    """A worker's print job, run at idle priority (`_idle_while_printing`) with the garbage
    collected after it rather than during it (`_collected_after`); picklable."""

    job: Printer

    def __call__(self, html: str, stylesheet: str = "") -> bytes:
        with _idle_while_printing(), _collected_after():
            return self.job(html, stylesheet)


def _start_worker(stylesheets: tuple[str, ...], prepare: Callable[[], object] | None) -> None:
    """In each new worker: yield to the server, load everything a print needs, freeze the heap.

    A print worker yields to the server (a report may wait a little, a ticket counter's check
    should not; `_yield_to_the_server`). It prints a small page with each stylesheet it is
    given, so the first real print pays no set-up (WeasyPrint's import, the font, the parsed
    stylesheet), then exempts what it loaded from garbage collection: it lives as long as the
    worker.
    """
    _yield_to_the_server()
    for stylesheet in stylesheets:
        try:
            render_pdf(_WARM_UP, stylesheet)
        except PdfUnavailable:
            break  # each real print raises it again, with its reason, to its caller
    if prepare is not None:
        # Even when printing is unavailable: a task that needs what it prepares (a report read
        # in the worker) then fails on the print, with its reason, not for want of it.
        prepare()
    gc.collect()
    gc.freeze()


def _ready() -> None:
    """A job that does nothing: submitting it starts a worker (and its warm-up)."""


def _print(printer: Printer, html: str, stylesheet: str) -> bytes:
    return printer(html, stylesheet)


class PrintWorkers:
    """PDFs printed in worker processes (`spawn`ed, never forked from a threaded server):
    printing is pure Python work that would otherwise hold the server's interpreter lock for a
    quarter of a second while checks wait. Only what is printed crosses to a worker (HTML and a
    stylesheet, or a task and its picklable data: `run`), and only the PDF comes back.

    Errors come back as they are raised (PdfUnavailable, FontUnavailable). A worker that dies
    while printing, or a print that takes longer than `timeout` seconds, raises PrinterFailed
    (the server answers 503): the workers are stopped (a late one killed) and started again on
    the next print, so one bad print never leaves the server without PDFs, nor a request
    waiting forever. `job` is what a worker runs for a print (`render_pdf`; tests pass another);
    `prepare`, run once in each new worker after the warm-up, loads anything else a print needs
    (the report's template).

    A print runs at idle priority (`_idle_while_printing`) for its first `patience` seconds;
    one still waiting then (cores kept busy by a batch beside the server, say) is lifted to the
    workers' own nice 10, so checks come first but a report is not starved.
    """

    def __init__(
        self,
        processes: int,
        *,
        timeout: float = 60.0,
        warm: Iterable[str] = ("",),
        job: Printer = render_pdf,
        prepare: Callable[[], object] | None = None,
        patience: float = 1.0,
    ) -> None:
        self._processes = processes
        self._timeout = timeout
        self._patience = min(patience, timeout)
        self._warm = tuple(warm)
        self._job = job
        self._prepare = prepare
        self._pool: ProcessPoolExecutor | None = None
        self._lock = threading.Lock()

    def start(self) -> None:
        """Start the workers now and let them warm up, without waiting for them."""
        pool = self._running()
        for _ in range(self._processes):
            pool.submit(_ready)

    def __call__(self, html: str, stylesheet: str = "") -> bytes:
        return self.run(_print, html, stylesheet)

    def run(self, task: Callable[..., T], *args: Any) -> T:
        """Return `task(printer, *args)` run in a worker, `printer` being the worker's way to
        print HTML: a document whose HTML is made in the worker too, so not even its template
        runs on the server's interpreter (the report is even read from the database there:
        `bootstrap.Platform.report_pdf`). `task` is a module-level function; it, `args` and
        what it returns are pickled."""
        pool = self._running()
        try:
            future = pool.submit(task, _IdlePrinter(self._job), *args)
        except BrokenProcessPool:
            self._discard(pool)
            pool = self._running()
            future = pool.submit(task, _IdlePrinter(self._job), *args)
        try:
            return self._result(pool, future)
        except BrokenProcessPool:
            self._discard(pool)
            raise PrinterFailed(
                "the PDF worker stopped while printing; it is being started again, ask again"
            ) from None
        except TimeoutError:
            if not future.cancel():  # it was printing, not waiting its turn: stop that print
                self._discard(pool, kill=True)
            raise PrinterFailed(
                f"the PDF was not printed within {self._timeout:g} s; ask again later"
            ) from None

    def _result(self, pool: ProcessPoolExecutor, future: Future[T]) -> T:
        """Wait for `future` up to the timeout, lifting the workers out of idle priority each
        `patience` seconds it is still not done (a worker may still have been starting at the
        first lift: started again after a failure, it warms up before it prints)."""
        deadline = time.monotonic() + self._timeout
        while True:
            remaining = deadline - time.monotonic()
            try:
                return future.result(timeout=max(0.0, min(self._patience, remaining)))
            except TimeoutError:
                if remaining <= self._patience:
                    raise
                _lift_all(pool)  # it waited long enough for an idle core

    def _running(self) -> ProcessPoolExecutor:
        with self._lock:
            if self._pool is None:
                self._pool = ProcessPoolExecutor(
                    self._processes,
                    mp_context=multiprocessing.get_context("spawn"),
                    initializer=_start_worker,
                    initargs=(self._warm, self._prepare),
                )
            return self._pool

    def _discard(self, pool: ProcessPoolExecutor, *, kill: bool = False) -> None:
        """Stop using `pool` (the next print starts new workers); kill its workers if asked."""
        with self._lock:
            if self._pool is pool:
                self._pool = None
        _stop(pool, kill=kill)

    def close(self) -> None:
        """Stop the workers: each has a few seconds to finish its print, then it is killed."""
        with self._lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            _stop(pool, kill=False)


def _workers(pool: ProcessPoolExecutor) -> list[multiprocessing.process.BaseProcess]:
    # No public way to reach a pool's workers; None once the pool is shut down (by another
    # caller that saw the same pool fail).
    return list((pool._processes or {}).values())


def _lift_all(pool: ProcessPoolExecutor) -> None:
    for worker in _workers(pool):
        _lift(worker.pid)


def _stop(pool: ProcessPoolExecutor, *, kill: bool, grace: float = 5.0) -> None:
    workers = _workers(pool)
    _lift_all(pool)  # a print under way has its grace at nice 10
    if kill:
        _kill(workers)
    pool.shutdown(wait=False, cancel_futures=True)
    for worker in workers:
        worker.join(grace)
        if worker.is_alive():
            _kill([worker])
            worker.join(grace)


def _kill(workers: list[multiprocessing.process.BaseProcess]) -> None:
    """Kill each worker, then lift it to the server's own priority: killed, it runs none of
    its own code again, so it cannot go back to idle priority (as a print it took up after the
    first lift did), and lifted it gets the time to exit on busy cores: giving its memory back
    takes processor time, of which an idle process gets almost none (a process holding 768 MB,
    every core busy with two loops each: 42 s to exit idle, 6 s at nice 10)."""
    for worker in workers:
        worker.kill()
        _lift(worker.pid)
        if worker.pid is not None and hasattr(os, "setpriority"):
            # OSError: gone already, or not ours to raise (it exits at nice 10)
            with suppress(OSError):
                os.setpriority(os.PRIO_PROCESS, worker.pid, os.getpriority(os.PRIO_PROCESS, 0))


def _lift(pid: int | None) -> None:
    """Take a worker out of SCHED_IDLE (back to its nice 10): a print that waited its patience
    out, or a worker about to be stopped, which on busy cores would not get the time to finish
    its print, nor to exit once killed."""
    if pid is None or not hasattr(os, "sched_setscheduler"):
        return
    try:
        if os.sched_getscheduler(pid) == os.SCHED_IDLE:
            _set_policy(pid, os.SCHED_OTHER)
    except OSError:  # it has exited already, or it is not ours to change
        pass
