"""How long checking a contribution takes: a 2-page PDF and a 2-page DOCX, with and
without LibreOffice; the largest file accepted; memory while refusing a zip bomb.
Baseline, in the same run: opening the same files with the plain library (pypdf,
python-docx) without any of our checks.

`--simultaneous N` (default 20): N small DOCX checked at once by N threads, measuring the
peak of the summed RSS of this process and all its descendants, and the wall time. Twice
in the same run: "unboxed_unbounded", the check as it was (a copy kept here: the checking
child, then LibreOffice outside any box, all N at once), and "boxed_bounded",
`filecheck.check_upload` (the box, at most PLENARY_RENDER_CONCURRENCY at a time); and the
old LibreOffice step alone, N at once, since on a loaded machine most old children overrun
their 10 s and never reach it."""

import argparse
import io
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import tracemalloc
import zipfile
from pathlib import Path

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "plenary.settings")


def _pdf(pages: int) -> bytes:
    from pypdf import PdfWriter

    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(width=595, height=842)
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def _docx(pages: int) -> bytes:
    from docx import Document
    from docx.enum.text import WD_BREAK

    document = Document()
    for page in range(pages):
        for _ in range(8):
            document.add_paragraph(
                "The Council takes note of the report and supports its recommendations. " * 3
            )
        if page < pages - 1:
            document.add_paragraph().add_run().add_break(WD_BREAK.PAGE)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def _bomb() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        with archive.open("word/document.xml", "w", force_zip64=True) as entry:
            chunk = b"\0" * (1024 * 1024)
            for _ in range(400):  # 400 MB of zeros, about 400 KB compressed
                entry.write(chunk)
    return buffer.getvalue()


def _timed(function, runs: int) -> dict:
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        function()
        samples.append((time.perf_counter() - start) * 1000)
    samples.sort()
    return {
        "p50_ms": round(statistics.median(samples), 2),
        "p95_ms": round(samples[int(0.95 * (runs - 1))], 2),
        "runs": runs,
    }


# --- N uploads at once -------------------------------------------------------------------------

_OLD_CHILD = (
    "import json, sys\n"
    "from plenary.contributions.filecheck import FileRefused, check_file\n"
    "data = sys.stdin.buffer.read()\n"
    "try:\n"
    "    c = check_file(data, max_bytes=len(data) + 1, libreoffice='')\n"
    "    print(json.dumps({'kind': c.kind, 'pages': c.pages}))\n"
    "except FileRefused as refused:\n"
    "    print(json.dumps({'refused': refused.code}))\n"
)


def _old_limits() -> None:  # as the check's child was limited before
    resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30))
    resource.setrlimit(resource.RLIMIT_CPU, (10, 11))
    resource.setrlimit(resource.RLIMIT_FSIZE, (0, 0))


def _old_child(data: bytes):
    return subprocess.run(
        [sys.executable, "-c", _OLD_CHILD],
        input=data,
        capture_output=True,
        timeout=10,
        preexec_fn=_old_limits,
        check=False,
        env={
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "PYTHONPATH": os.pathsep.join(sys.path),
        },
    )


def _old_check_upload(data: bytes, child=True) -> str:
    """The check as it was: the limited child, then LibreOffice unboxed and unbounded,
    killed (only its wrapper) after 60 s, the estimate kept when it fails."""
    from pypdf import PdfReader

    try:
        answer = json.loads(_old_child(data).stdout or b"{}") if child else {"pages": 1}
    except subprocess.TimeoutExpired:
        return "too_complex"  # the child overran its 10 s
    if "refused" in answer:
        return answer["refused"]
    with tempfile.TemporaryDirectory(prefix="plenary-bench-") as folder:
        source = os.path.join(folder, "contribution.docx")
        with open(source, "wb") as handle:
            handle.write(data)
        try:
            subprocess.run(
                [
                    shutil.which("soffice"),
                    f"-env:UserInstallation=file://{folder}/profile",
                    "--headless",
                    "--norestore",
                    "--convert-to",
                    "pdf",
                    "--outdir",
                    folder,
                    source,
                ],
                capture_output=True,
                timeout=60,
                check=False,
                env={"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": folder},
            )
        except subprocess.TimeoutExpired:
            return f"{answer['pages']} pages (estimated)"
        produced = os.path.join(folder, "contribution.pdf")
        if not os.path.exists(produced):
            return f"{answer['pages']} pages (estimated)"
        return f"{len(PdfReader(produced).pages)} pages"


def _new_check_upload(data: bytes) -> str:
    from plenary.contributions import filecheck

    try:
        return f"{filecheck.check_upload(data).pages} pages"
    except filecheck.FileRefused as refused:
        return refused.code


def _tree_rss_kib(root: int) -> int:
    """The summed RSS of `root` and every process descending from it."""
    parents: dict[int, int] = {}
    rss: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as handle:
                fields = handle.read().rsplit(")", 1)[1].split()
            with open(f"/proc/{entry}/statm") as handle:
                pages = int(handle.read().split()[1])
        except (OSError, IndexError, ValueError):
            continue
        parents[int(entry)] = int(fields[1])
        rss[int(entry)] = pages * (os.sysconf("SC_PAGE_SIZE") // 1024)
    total = 0
    for pid in rss:
        node = pid
        while node not in (0, 1, root) and node in parents:
            node = parents[node]
        if node == root:
            total += rss[pid]
    return total


def _end_leftovers() -> int:
    """Kill, one by one, the LibreOffice processes the old check started here and left
    running (their command line names the bench's folder); how many there were."""
    import signal

    ended = 0
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/cmdline", "rb") as handle:
                command = handle.read()
        except OSError:
            continue
        if b"soffice" in command and b"plenary-bench-" in command:
            try:
                os.kill(int(entry), signal.SIGKILL)
                ended += 1
            except OSError:
                pass
    return ended


def _simultaneous(check, data: bytes, count: int) -> dict:
    outcomes: list[str] = []
    peak, done = [0], threading.Event()

    def sample() -> None:
        while not done.is_set():
            peak[0] = max(peak[0], _tree_rss_kib(os.getpid()))
            time.sleep(0.05)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    started = time.perf_counter()

    def one() -> None:
        try:
            outcomes.append(check(data))
        except Exception as error:  # the old check could fail in many ways; count them
            outcomes.append(type(error).__name__)

    threads = [threading.Thread(target=one) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - started
    done.set()
    sampler.join()
    return {
        "uploads": count,
        "wall_s": round(wall, 1),
        "peak_total_rss_mib": round(peak[0] / 1024),
        "outcomes": {outcome: outcomes.count(outcome) for outcome in sorted(set(outcomes))},
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--libreoffice-runs", type=int, default=5)
    parser.add_argument("--simultaneous", type=int, default=20)
    parser.add_argument("--only-simultaneous", action="store_true")
    args = parser.parse_args()
    import django

    django.setup()
    if args.simultaneous and shutil.which("soffice"):
        from plenary.core import sandbox

        docx = _docx(2)
        # The boxed run first: the old one leaves LibreOffice processes running past its
        # timeout (it killed only the wrapper), which are ended before the next run.
        boxed = {
            "render_slots": sandbox.concurrency(),
            "sandbox": sandbox.mechanism(),
            **_simultaneous(_new_check_upload, docx, args.simultaneous),
        }
        old = _simultaneous(_old_check_upload, docx, args.simultaneous)
        old["left_running_after"] = _end_leftovers()
        # Its LibreOffice step alone, all at once (what the old check reached when its
        # children did not overrun).
        alone = _simultaneous(
            lambda data: _old_check_upload(data, child=False), docx, args.simultaneous
        )
        alone["left_running_after"] = _end_leftovers()
        result = {
            "simultaneous_docx": {
                "unboxed_unbounded": old,
                "unboxed_unbounded_libreoffice_only": alone,
                "boxed_bounded": boxed,
            }
        }
        print(json.dumps(result, indent=2))
        if args.only_simultaneous:
            return 0
    from docx import Document
    from pypdf import PdfReader

    from plenary.contributions import filecheck

    pdf, docx = _pdf(2), _docx(2)
    result = {
        **(result if args.simultaneous and shutil.which("soffice") else {}),
        "baseline_pypdf_open": _timed(lambda: len(PdfReader(io.BytesIO(pdf)).pages), args.runs),
        "baseline_python_docx_open": _timed(
            lambda: Document(io.BytesIO(docx)).paragraphs, args.runs
        ),
        "check_pdf_2_pages": _timed(lambda: filecheck.check_file(pdf), args.runs),
        "check_docx_2_pages_estimated": _timed(
            lambda: filecheck.check_file(docx, libreoffice=""), args.runs
        ),
        # What an upload goes through: the same check in a limited child process, boxed.
        "check_upload_pdf_2_pages_isolated": _timed(lambda: filecheck.check_upload(pdf), 10),
        "check_upload_docx_2_pages_boxed": _timed(lambda: filecheck.check_upload(docx), 3),
    }
    soffice = shutil.which("soffice")
    if soffice:
        result["check_docx_2_pages_libreoffice_boxed"] = _timed(
            lambda: filecheck.check_file(docx, libreoffice=soffice), args.libreoffice_runs
        )
        result["docx_pages_by_libreoffice"] = filecheck.check_file(docx, libreoffice=soffice).pages
    else:
        result["check_docx_2_pages_libreoffice"] = "LibreOffice not installed"
    result["docx_pages_estimated"] = filecheck.check_file(docx, libreoffice="").pages

    # The largest file accepted: a PDF padded with white space after its end (nothing else may
    # follow %%EOF) up to the limit still passes; one byte more does not.
    padded = pdf + b"\n" * (filecheck.MAX_BYTES - len(pdf))
    accepted = filecheck.check_file(padded)
    try:
        filecheck.check_file(padded + b"\n")
        over = "accepted"
    except filecheck.FileRefused as refused:
        over = refused.code
    result["largest_accepted_bytes"] = len(padded) if accepted else None
    result["one_byte_more"] = over

    bomb = _bomb()
    tracemalloc.start()
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    try:
        filecheck.check_file(bomb)
        outcome = "accepted"
    except filecheck.FileRefused as refused:
        outcome = refused.code
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    result["zip_bomb"] = {
        "compressed_bytes": len(bomb),
        "expands_to_bytes": 400 * 1024 * 1024,
        "outcome": outcome,
        "python_peak_allocated_kib": peak // 1024,
        "process_max_rss_growth_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before,
    }
    out = Path(__file__).resolve().parent / "results"
    out.mkdir(exist_ok=True)
    (out / "filecheck.json").write_text(json.dumps(result, indent=2))
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
