"""One self-contained HTML report (no network fetches) from any number of results files.

``render_report`` gives the HTML text; ``write_report`` reads results.json files and writes
the report atomically. Templates are Jinja2 (``harness/report/templates``), autoescaped: every
string that came from an implementation is shown as text, never as markup.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from harness.corpus.model import Corpus
from harness.report.model import DISPLAY_STATUSES, LABELS, Report, build_report
from harness.results import atomic_write, load_results, utc_now

REPORT_NAME = "report.html"

__all__ = ["REPORT_NAME", "Report", "build_report", "render_report", "write_report"]


def _environment() -> Environment:
    return Environment(
        loader=PackageLoader("harness.report", "templates"),
        autoescape=select_autoescape(["html", "j2"], default_for_string=True, default=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def render_report(report: Report) -> str:
    template = _environment().get_template("report.html.j2")
    return template.render(report=report, statuses=DISPLAY_STATUSES, labels=LABELS)


def render_documents(
    documents: Sequence[tuple[str, Mapping[str, Any]]],
    corpus: Corpus | None,
    title: str = "snapconform conformance matrix",
) -> str:
    return render_report(build_report(documents, corpus, title=title, generated=utc_now()))


def write_report(
    paths: Sequence[Path],
    out: Path,
    corpus: Corpus | None,
    title: str = "snapconform conformance matrix",
) -> Path:
    """Read every results.json in ``paths`` and write one report to ``out``.

    :raises harness.results.ResultsError: a file is unreadable or invalid.
    """
    documents = [(str(p), load_results(p)) for p in paths]
    html = render_documents(documents, corpus, title)
    out.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(out, html.encode("utf-8"))
    return out
