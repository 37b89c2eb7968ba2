"""The pack as a PDF, made with WeasyPrint from the pack's own HTML; it fetches nothing."""

from __future__ import annotations

from safesocial.pdf import render_pdf

PDF_STYLE = """
@page { size: A4; margin: 1.8cm; @bottom-center { content: counter(page) " of " counter(pages); } }
body { font-family: sans-serif; font-size: 10.5pt; line-height: 1.4; color: #000; }
h1 { font-size: 18pt; } h2 { font-size: 14pt; margin-top: 1.2em; }
table { border-collapse: collapse; width: 100%; margin-bottom: 1em; }
caption { text-align: left; font-weight: bold; padding-bottom: 0.3em; }
th, td { border-bottom: 1px solid #b1b4b6; padding: 0.25em 0.4em; text-align: left; }
"""


def pack_pdf(context: dict[str, object]) -> bytes:
    return render_pdf("reviews/pack_pdf.html", context, style=PDF_STYLE)
