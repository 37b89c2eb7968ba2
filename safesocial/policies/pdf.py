"""The PDF copy of a policy, made with WeasyPrint from the same HTML as the large-print page."""

from __future__ import annotations

from django.template.loader import render_to_string

PDF_STYLE = """
@page { size: A4; margin: 2cm; @bottom-center { content: counter(page) " of " counter(pages); } }
body { font-family: sans-serif; font-size: 12pt; line-height: 1.5; color: #000; }
h1 { font-size: 20pt; } h2 { font-size: 15pt; margin-top: 1.2em; } h3 { font-size: 13pt; }
.app-clause__number { font-weight: bold; }
dl.app-facts dt { font-weight: bold; }
"""


def policy_pdf(context: dict[str, object]) -> bytes:
    # Imported here: WeasyPrint loads Pango at import, which only this page needs.
    from weasyprint import CSS, HTML
    from weasyprint.urls import URLFetcher

    html = render_to_string("policies/public/pdf.html", context)
    # The document may fetch nothing (no files, no network): links in the text stay links.
    fetcher = URLFetcher(allowed_protocols=())
    document = HTML(string=html, url_fetcher=fetcher)
    return bytes(document.write_pdf(stylesheets=[CSS(string=PDF_STYLE, url_fetcher=fetcher)]))
