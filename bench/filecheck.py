"""How long checking a contribution takes: a 2-page PDF and a 2-page DOCX, with and
without LibreOffice; the largest file accepted; memory while refusing a zip bomb.
Baseline, in the same run: opening the same files with the plain library (pypdf,
python-docx) without any of our checks."""

import argparse
import io
import json
import os
import resource
import shutil
import statistics
import sys
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


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--libreoffice-runs", type=int, default=5)
    args = parser.parse_args()
    import django

    django.setup()
    from docx import Document
    from pypdf import PdfReader

    from plenary.contributions import filecheck

    pdf, docx = _pdf(2), _docx(2)
    result = {
        "baseline_pypdf_open": _timed(lambda: len(PdfReader(io.BytesIO(pdf)).pages), args.runs),
        "baseline_python_docx_open": _timed(
            lambda: Document(io.BytesIO(docx)).paragraphs, args.runs
        ),
        "check_pdf_2_pages": _timed(lambda: filecheck.check_file(pdf), args.runs),
        "check_docx_2_pages_estimated": _timed(
            lambda: filecheck.check_file(docx, libreoffice=""), args.runs
        ),
        # What an upload goes through: the same check in a limited child process.
        "check_upload_pdf_2_pages_isolated": _timed(lambda: filecheck.check_upload(pdf), 10),
    }
    soffice = shutil.which("soffice")
    if soffice:
        result["check_docx_2_pages_libreoffice"] = _timed(
            lambda: filecheck.check_file(docx, libreoffice=soffice), args.libreoffice_runs
        )
        result["docx_pages_by_libreoffice"] = filecheck.check_file(docx, libreoffice=soffice).pages
    else:
        result["check_docx_2_pages_libreoffice"] = "LibreOffice not installed"
    result["docx_pages_estimated"] = filecheck.check_file(docx, libreoffice="").pages

    # The largest file accepted: a PDF padded up to the limit still passes; one byte more does not.
    padded = pdf + b"%" + b"0" * (filecheck.MAX_BYTES - len(pdf) - 2) + b"\n"
    accepted = filecheck.check_file(padded)
    try:
        filecheck.check_file(padded + b"0")
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
