"""The audit trail, for the headteacher and DSL, and the chain-hash export."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from safesocial.access.core import Membership
from safesocial.access.decorators import school_view
from safesocial.audit.models import AuditEntry
from safesocial.audit.services import audit_record, audit_verify, chain_head


@school_view("audit.view")
def audit_list(request: HttpRequest, member: Membership) -> HttpResponse:
    entries = AuditEntry.objects.filter(school_id=member.school.pk).order_by("-sequence")
    page = Paginator(entries, 50).get_page(request.GET.get("page"))
    sequence, digest = chain_head()
    return render(
        request,
        "audit/list.html",
        {"member": member, "page": page, "head_sequence": sequence, "head_hash": digest},
    )


@school_view("audit.view")
def audit_head(request: HttpRequest, member: Membership) -> HttpResponse:
    """A small text file to print or send elsewhere: proof, later, that nothing was rewritten."""
    result = audit_verify()
    # The head the check was made against, not one read later: other processes may append.
    sequence, digest = result.head_sequence, result.head_hash
    audit_record(
        action="audit.head_exported", actor=request.user, school=member.school, request=request
    )
    body = (
        "safesocial audit chain head\n"
        f"exported: {timezone.now().isoformat(timespec='seconds')}\n"
        f"entries: {sequence}\n"
        f"sha256: {digest}\n"
        f"verified: {'yes' if result.ok else 'NO, first bad entry ' + str(result.first_bad_id)}\n"
    )
    response = HttpResponse(body, content_type="text/plain; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="audit-chain-head.txt"'
    return response
