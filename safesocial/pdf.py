"""PDF documents (policy copies, case summaries, review packs), made with WeasyPrint."""

from __future__ import annotations

from typing import Any

from django.template.loader import render_to_string


def render_pdf(template: str, context: dict[str, Any], *, style: str = "") -> bytes:
    """Render a template to PDF. The document may fetch nothing: no file, no network.

    Records hold text written by people (and sometimes by the public); whatever ends up in
    the HTML must never make the server read a local file or call out.
    """
    # Imported here: WeasyPrint loads Pango at import, which only PDF downloads need.
    from weasyprint import CSS, HTML
    from weasyprint.urls import URLFetcher

    fetcher = URLFetcher(allowed_protocols=())
    document = HTML(string=render_to_string(template, context), url_fetcher=fetcher)
    stylesheets = [CSS(string=style, url_fetcher=fetcher)] if style else []
    return bytes(document.write_pdf(stylesheets=stylesheets))
