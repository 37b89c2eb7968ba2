"""The PDF copy of a policy, made with WeasyPrint from the same HTML as the large-print page."""

from __future__ import annotations

from safesocial.pdf import render_pdf

PDF_STYLE = """
@page { size: A4; margin: 2cm; @bottom-center { content: counter(page) " of " counter(pages); } }
body { font-family: sans-serif; font-size: 12pt; line-height: 1.5; color: #000; }
h1 { font-size: 20pt; } h2 { font-size: 15pt; margin-top: 1.2em; } h3 { font-size: 13pt; }
.app-clause__number { font-weight: bold; }
dl.app-facts dt { font-weight: bold; }
"""


def policy_pdf(context: dict[str, object]) -> bytes:
    return render_pdf("policies/public/pdf.html", context, style=PDF_STYLE)
