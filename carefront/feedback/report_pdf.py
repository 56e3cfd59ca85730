"""The client report as a PDF, rendered by WeasyPrint (which lays text out with Debian's Pango) from the same
figures as the page: no JavaScript, the trend as a table and an SVG chart drawn by the template."""

from __future__ import annotations

from django.template.loader import render_to_string
from django.utils import timezone, translation

from carefront.feedback.selectors_clients import ClientReport

TEMPLATE = "feedback/client_report/pdf.html"


def client_report_pdf(*, report: ClientReport) -> bytes:
    """The report's PDF, in the current language."""
    import weasyprint  # imported when a PDF is asked for: it loads Pango and its fonts

    html = render_to_string(
        TEMPLATE, {"report": report, "generated_at": timezone.now(), "language": translation.get_language()}
    )
    return bytes(weasyprint.HTML(string=html).write_pdf())
