"""Channel pages: the register, posts and their review, consent, take-downs, moderation and
school-created learner accounts. Small views: a form validates, a service acts, redirect."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from safesocial.access.core import Membership
from safesocial.access.decorators import school_view
from safesocial.audit.services import audit_record
from safesocial.channels import files, services
from safesocial.channels import forms as channel_forms
from safesocial.channels.models import (
    Channel,
    ChannelManager,
    Consent,
    CustodyEvent,
    LearnerAccount,
    ModerationItem,
    Post,
    PostImage,
    TakeDownTask,
)
from safesocial.channels.selectors import (
    channel_register,
    current_managers,
    due_for_reapproval,
    login_holders,
    managed_channels,
    open_take_downs,
    review_queue,
)
from safesocial.forms import add_service_errors
from safesocial.netpolicy.selectors import service_choices
from safesocial.private_files import download_response


def _refused(request: HttpRequest, member: Membership, reason: str) -> HttpResponse:
    return render(
        request, "channels/refused.html", {"member": member, "reason": reason}, status=403
    )


def _channel(member: Membership, pk: int) -> Channel:
    return get_object_or_404(Channel.objects.for_school(member.school), pk=pk)


def _post(member: Membership, pk: int) -> Post:
    return get_object_or_404(
        Post.objects.for_school(member.school).select_related("channel", "author", "reviewer"),
        pk=pk,
    )


def _services(member: Membership) -> dict[str, str]:
    return dict(service_choices(member.school))


# --- the register -------------------------------------------------------------------------


@school_view("channels.approve_post")
def channel_list(request: HttpRequest, member: Membership) -> HttpResponse:
    today = timezone.localdate()
    names = _services(member)
    channels = list(channel_register(member.school))
    for channel in channels:
        channel.platform_name = names.get(channel.service_id, channel.service_id)  # type: ignore[attr-defined]
    return render(
        request,
        "channels/list.html",
        {
            "member": member,
            "channels": channels,
            "today": today,
            "can_manage": member.has("channels.manage"),
            "queue": review_queue(member.school, member.person),
            "mine": managed_channels(member.person, on=today),
            "due": due_for_reapproval(member.school, on=today),
            "my_drafts": Post.objects.for_school(member.school)
            .filter(author=member.person)
            .exclude(status__in=(Post.Status.PUBLISHED, Post.Status.TAKEN_DOWN))
            .select_related("channel"),
        },
    )


def _channel_form_page(
    request: HttpRequest, member: Membership, channel: Channel | None
) -> HttpResponse:
    initial = {k: getattr(channel, k) for k in services.CHANNEL_FIELDS} if channel else None
    form = channel_forms.ChannelForm(request.POST or None, initial=initial, school=member.school)
    if request.method == "POST" and form.is_valid():
        try:
            if channel is None:
                channel = services.channel_create(
                    school=member.school, actor=member.person, request=request, **form.cleaned_data
                )
                messages.success(request, "Channel added. Add its risk assessment next.")
            else:
                services.channel_update(
                    channel=channel, actor=member.person, request=request, **form.cleaned_data
                )
                messages.success(request, "Channel saved.")
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            return redirect("channels:detail", school=member.school.slug, channel=channel.pk)
    return render(
        request,
        "channels/channel_form.html",
        {"member": member, "form": form, "channel": channel},
        status=400 if form.errors else 200,
    )


@school_view("channels.manage")
def channel_new(request: HttpRequest, member: Membership) -> HttpResponse:
    return _channel_form_page(request, member, None)


@school_view("channels.manage")
def channel_edit(request: HttpRequest, member: Membership, channel: int) -> HttpResponse:
    return _channel_form_page(request, member, _channel(member, channel))


def _detail(
    request: HttpRequest, member: Membership, channel: Channel, status: int = 200, **given: Any
) -> HttpResponse:
    school = member.school
    today = timezone.localdate()
    context: dict[str, Any] = {
        "member": member,
        "channel": channel,
        "today": today,
        "active": channel.is_active(today),
        "service_name": _services(member).get(channel.service_id, channel.service_id),
        "risks": channel.risks.all(),
        "managers": current_managers(channel, on=today),
        "holders": login_holders(channel),
        "custody": CustodyEvent.objects.filter(channel=channel).select_related(
            "holder", "from_person"
        ),
        "posts": channel.posts.select_related("author"),
        "can_manage": member.has("channels.manage"),
        "can_approve": member.has("channels.approve_channel"),
        # Only offered to those who would not be refused (managers of this channel).
        "can_draft": member.has("channels.draft_post")
        and not services.draft_refusal(person=member.person, channel=channel, on=today),
        "risk_form": given.get("risk_form") or channel_forms.RiskForm(),
        "approve_form": given.get("approve_form") or channel_forms.ApproveForm(),
        "manager_form": given.get("manager_form") or channel_forms.ManagerForm(school=school),
        "custody_form": given.get("custody_form")
        or channel_forms.CustodyForm(school=school, initial={"on": today}),
    }
    return render(request, "channels/detail.html", context, status=status)


@school_view("channels.approve_post")
def channel_detail(request: HttpRequest, member: Membership, channel: int) -> HttpResponse:
    return _detail(request, member, _channel(member, channel))


@require_POST
@school_view("channels.manage")
def risk_add(request: HttpRequest, member: Membership, channel: int) -> HttpResponse:
    obj = _channel(member, channel)
    form = channel_forms.RiskForm(request.POST)
    if form.is_valid():
        try:
            services.risk_add(
                channel=obj, actor=member.person, request=request, **form.cleaned_data
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, "Risk added to the assessment.")
            return redirect("channels:detail", school=member.school.slug, channel=obj.pk)
    return _detail(request, member, obj, status=400, risk_form=form)


@require_POST
@school_view("channels.approve_channel")
def channel_approve(request: HttpRequest, member: Membership, channel: int) -> HttpResponse:
    obj = _channel(member, channel)
    form = channel_forms.ApproveForm(request.POST)
    if form.is_valid():
        try:
            services.channel_approve(
                channel=obj,
                approver=member.person,
                on=timezone.localdate(),
                note=form.cleaned_data["note"],
                request=request,
            )
        except services.NotAllowed as refusal:
            return _refused(request, member, str(refusal))
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, "Channel approved for one year.")
            return redirect("channels:detail", school=member.school.slug, channel=obj.pk)
    return _detail(request, member, obj, status=400, approve_form=form)


@school_view("channels.manage")
def channel_close(request: HttpRequest, member: Membership, channel: int) -> HttpResponse:
    """Confirm with a reason; only the POST closes the channel."""
    obj = _channel(member, channel)
    form = channel_forms.CloseForm(request.POST or None)
    if request.method == "POST" and obj.status != Channel.Status.CLOSED and form.is_valid():
        try:
            services.channel_close(
                channel=obj,
                actor=member.person,
                reason=form.cleaned_data["reason"],
                request=request,
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, "Channel closed. Its managers have stopped.")
            return redirect("channels:detail", school=member.school.slug, channel=obj.pk)
    return render(
        request,
        "channels/close.html",
        {
            "member": member,
            "channel": obj,
            "form": form,
            "managers": current_managers(obj, on=timezone.localdate()),
        },
        status=400 if form.errors else 200,
    )


@require_POST
@school_view("channels.manage")
def manager_add(request: HttpRequest, member: Membership, channel: int) -> HttpResponse:
    obj = _channel(member, channel)
    form = channel_forms.ManagerForm(request.POST, school=member.school)
    if form.is_valid():
        try:
            services.manager_add(
                channel=obj,
                person=form.cleaned_data["person"],
                starts_on=timezone.localdate(),
                actor=member.person,
                request=request,
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, "Manager added. They can now reach the platform.")
            return redirect("channels:detail", school=member.school.slug, channel=obj.pk)
    return _detail(request, member, obj, status=400, manager_form=form)


@require_POST
@school_view("channels.manage")
def manager_end(request: HttpRequest, member: Membership, manager: int) -> HttpResponse:
    obj = get_object_or_404(ChannelManager.objects.for_school(member.school), pk=manager)
    try:
        services.manager_end(
            manager=obj, on=timezone.localdate(), actor=member.person, request=request
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(
            request,
            f"{obj.person.full_name} no longer manages this channel; "
            "their access to its platform has ended.",
        )
    return redirect("channels:detail", school=member.school.slug, channel=obj.channel_id)


@require_POST
@school_view("channels.manage")
def custody_add(request: HttpRequest, member: Membership, channel: int) -> HttpResponse:
    obj = _channel(member, channel)
    form = channel_forms.CustodyForm(request.POST, school=member.school)
    if form.is_valid():
        try:
            services.custody_record(
                channel=obj, actor=member.person, request=request, **form.cleaned_data
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, "Custody log updated.")
            return redirect("channels:detail", school=member.school.slug, channel=obj.pk)
    return _detail(request, member, obj, status=400, custody_form=form)


@school_view("channels.manage")
def connector(request: HttpRequest, member: Membership, channel: int) -> HttpResponse:
    obj = _channel(member, channel)
    form = channel_forms.ConnectorForm(
        request.POST or None,
        initial={
            "connector": obj.connector,
            "enabled": obj.connector_enabled,
            "facebook_page_id": obj.facebook_page_id,
        },
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.connector_configure(
                channel=obj, actor=member.person, request=request, **form.cleaned_data
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, "Publishing settings saved.")
            return redirect("channels:detail", school=member.school.slug, channel=obj.pk)
    return render(
        request,
        "channels/connector.html",
        {"member": member, "channel": obj, "form": form},
        status=400 if form.errors else 200,
    )


# --- posts --------------------------------------------------------------------------------


@school_view("channels.draft_post")
def post_new(request: HttpRequest, member: Membership, channel: int) -> HttpResponse:
    obj = _channel(member, channel)
    reason = services.draft_refusal(person=member.person, channel=obj, on=timezone.localdate())
    if reason:
        return _refused(request, member, reason)
    form = channel_forms.PostForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            post = services.post_create(
                channel=obj, author=member.person, request=request, **form.cleaned_data
            )
        except services.NotAllowed as refusal:
            return _refused(request, member, str(refusal))
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, "Draft saved and checked. See the results below.")
            return redirect("channels:post", school=member.school.slug, post=post.pk)
    return render(
        request,
        "channels/post_form.html",
        {"member": member, "form": form, "channel": obj, "post": None},
        status=400 if form.errors else 200,
    )


@school_view("channels.draft_post")
def post_edit(request: HttpRequest, member: Membership, post: int) -> HttpResponse:
    obj = _post(member, post)
    reason = services.draft_refusal(
        person=member.person, channel=obj.channel, on=timezone.localdate()
    )
    if reason:
        return _refused(request, member, reason)
    form = channel_forms.PostForm(
        request.POST or None, initial={"text": obj.text, "publish_at": obj.publish_at}
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.post_update(
                post=obj, editor=member.person, request=request, **form.cleaned_data
            )
        except services.NotAllowed as refusal:
            return _refused(request, member, str(refusal))
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, "Post saved and checked again.")
            return redirect("channels:post", school=member.school.slug, post=obj.pk)
    return render(
        request,
        "channels/post_form.html",
        {"member": member, "form": form, "channel": obj.channel, "post": obj},
        status=400 if form.errors else 200,
    )


def _post_page(
    request: HttpRequest, member: Membership, post: Post, status: int = 200, **given: Any
) -> HttpResponse:
    today = timezone.localdate()
    can_draft = member.has("channels.draft_post") and not services.draft_refusal(
        person=member.person, channel=post.channel, on=today
    )
    return render(
        request,
        "channels/post.html",
        {
            "member": member,
            "post": post,
            "images": post.images.prefetch_related("learners"),
            "can_draft": can_draft,
            "can_review": post.status == Post.Status.IN_REVIEW
            and post.author_id != member.person.pk,
            "editable": post.status in services.EDITABLE,
            "image_form": given.get("image_form") or channel_forms.ImageForm(school=member.school),
            "review_form": given.get("review_form") or channel_forms.ReviewForm(),
            "review_errors": given.get("review_errors", []),
        },
        status=status,
    )


@school_view("channels.approve_post")
def post_detail(request: HttpRequest, member: Membership, post: int) -> HttpResponse:
    return _post_page(request, member, _post(member, post))


@require_POST
@school_view("channels.draft_post")
def post_image_add(request: HttpRequest, member: Membership, post: int) -> HttpResponse:
    obj = _post(member, post)
    reason = services.draft_refusal(
        person=member.person, channel=obj.channel, on=timezone.localdate()
    )
    if reason:
        return _refused(request, member, reason)
    form = channel_forms.ImageForm(request.POST, request.FILES, school=member.school)
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.post_image_add(
                post=obj,
                editor=member.person,
                upload=data["image"],
                description=data["description"],
                learners=data["learners"],
                no_learners=data["no_learners"],
                request=request,
            )
        except services.NotAllowed as refusal:
            return _refused(request, member, str(refusal))
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, "Image added and the post checked again.")
            return redirect("channels:post", school=member.school.slug, post=obj.pk)
    return _post_page(request, member, obj, status=400, image_form=form)


@school_view("channels.approve_post")
def post_image(request: HttpRequest, member: Membership, image: int) -> HttpResponse:
    obj = get_object_or_404(PostImage.objects.for_school(member.school), pk=image)
    data = files.read(obj.stored_name)
    if data is None:
        raise Http404("image file missing")
    # Shown in the post page for review, so inline; never kept in a cache.
    response = HttpResponse(data, content_type=obj.content_type)
    response["Cache-Control"] = "private, no-store"
    return response


@require_POST
@school_view("channels.draft_post")
def post_submit(request: HttpRequest, member: Membership, post: int) -> HttpResponse:
    obj = _post(member, post)
    try:
        services.post_submit(post=obj, author=member.person, request=request)
    except services.NotAllowed as refusal:
        return _refused(request, member, str(refusal))
    if obj.status == Post.Status.IN_REVIEW:
        messages.success(request, "Sent for review. A colleague must approve it.")
        return redirect("channels:post", school=member.school.slug, post=obj.pk)
    return _post_page(request, member, obj, status=400)


@require_POST
@school_view("channels.approve_post")
def post_review(request: HttpRequest, member: Membership, post: int) -> HttpResponse:
    obj = _post(member, post)
    form = channel_forms.ReviewForm(request.POST)
    if form.is_valid():
        try:
            services.post_review(
                post=obj,
                reviewer=member.person,
                approve=form.cleaned_data["decision"] == "approve",
                note=form.cleaned_data["note"],
                request=request,
            )
        except services.NotAllowed as refusal:
            return _refused(request, member, str(refusal))
        except ValidationError as error:
            if hasattr(error, "error_dict") and "text" in error.error_dict:
                return _post_page(
                    request, member, obj, status=400, review_errors=error.message_dict["text"]
                )
            add_service_errors(form, error)
        else:
            messages.success(request, "Review recorded.")
            return redirect("channels:post", school=member.school.slug, post=obj.pk)
    return _post_page(request, member, obj, status=400, review_form=form)


@require_POST
@school_view("channels.draft_post")
def post_publish(request: HttpRequest, member: Membership, post: int) -> HttpResponse:
    obj = _post(member, post)
    try:
        services.post_publish(post=obj, actor=member.person, request=request)
    except services.NotAllowed as refusal:
        return _refused(request, member, str(refusal))
    except ValidationError as error:
        return _post_page(request, member, obj, status=400, review_errors=error.messages)
    if obj.status == Post.Status.SCHEDULED:
        messages.success(request, "Scheduled. It will be published at the time set.")
    else:
        messages.success(request, "Published on the channel and the school's news page.")
    return redirect("channels:post", school=member.school.slug, post=obj.pk)


@require_POST
@school_view("channels.draft_post")
def post_take_down(request: HttpRequest, member: Membership, post: int) -> HttpResponse:
    obj = _post(member, post)
    reason = services.take_down_refusal(
        person=member.person,
        post=obj,
        may_manage_register=member.has("channels.manage"),
        on=timezone.localdate(),
    )
    if reason:
        return _refused(request, member, reason)
    try:
        services.post_take_down(post=obj, actor=member.person, request=request)
    except services.NotAllowed as refusal:
        return _refused(request, member, str(refusal))
    messages.success(request, "Taken down from the news page. Remove it from the platform too.")
    return redirect("channels:post", school=member.school.slug, post=obj.pk)


# --- consent ------------------------------------------------------------------------------


@school_view("consents.manage")
def consents(request: HttpRequest, member: Membership) -> HttpResponse:
    form = channel_forms.ConsentForm(
        request.POST or None, request.FILES or None, school=member.school
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.consent_record(actor=member.person, request=request, **form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, "Consent recorded.")
            return redirect("channels:consents", school=member.school.slug)
    return render(
        request,
        "channels/consents.html",
        {
            "member": member,
            "form": form,
            "today": timezone.localdate(),
            "consents": Consent.objects.for_school(member.school).select_related(
                "learner", "given_by"
            )[:500],
            "withdraw_form": channel_forms.WithdrawForm(initial={"on": timezone.localdate()}),
        },
        status=400 if form.errors else 200,
    )


@require_POST
@school_view("consents.manage")
def consent_withdraw(request: HttpRequest, member: Membership, consent: int) -> HttpResponse:
    obj = get_object_or_404(Consent.objects.for_school(member.school), pk=consent)
    form = channel_forms.WithdrawForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Give the date consent was withdrawn.")
        return redirect("channels:consents", school=member.school.slug)
    try:
        tasks = services.consent_withdraw(
            consent=obj, actor=member.person, request=request, **form.cleaned_data
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("channels:consents", school=member.school.slug)
    return render(
        request,
        "channels/withdrawn.html",
        {"member": member, "consent": obj, "tasks": tasks},
    )


@school_view("consents.manage")
def consent_evidence(request: HttpRequest, member: Membership, consent: int) -> HttpResponse:
    obj = get_object_or_404(Consent.objects.for_school(member.school), pk=consent)
    if not obj.evidence_file:
        raise Http404("no upload")
    data = files.read(obj.evidence_file)
    if data is None:
        raise Http404("file missing")
    # A parent's signed form is personal data: each download is on the audit trail.
    audit_record(
        action="channels.consent_evidence_viewed",
        actor=request.user,
        school=member.school,
        obj=obj,
        request=request,
    )
    return download_response(
        data,
        filename=obj.evidence_file_name,
        content_type="application/octet-stream",
        fallback="consent",
    )


# --- take-downs and moderation ------------------------------------------------------------


@school_view("channels.moderate")
def take_downs(request: HttpRequest, member: Membership) -> HttpResponse:
    return render(
        request,
        "channels/take_downs.html",
        {
            "member": member,
            "tasks": open_take_downs(member.school),
            "form": channel_forms.TakeDownForm(),
        },
    )


@require_POST
@school_view("channels.moderate")
def take_down_done(request: HttpRequest, member: Membership, task: int) -> HttpResponse:
    obj = get_object_or_404(TakeDownTask.objects.for_school(member.school), pk=task)
    form = channel_forms.TakeDownForm(request.POST)
    note = form.cleaned_data["note"] if form.is_valid() else ""
    try:
        services.take_down_complete(task=obj, actor=member.person, note=note, request=request)
    except services.NotAllowed as refusal:
        return _refused(request, member, str(refusal))
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, "Take-down recorded.")
    return redirect("channels:take_downs", school=member.school.slug)


@school_view("channels.moderate")
def moderation(request: HttpRequest, member: Membership) -> HttpResponse:
    form = channel_forms.ModerationForm(
        request.POST or None, school=member.school, initial={"received_on": timezone.localdate()}
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.moderation_log(actor=member.person, request=request, **form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, "Logged for moderation.")
            return redirect("channels:moderation", school=member.school.slug)
    return render(
        request,
        "channels/moderation.html",
        {
            "member": member,
            "form": form,
            "items": ModerationItem.objects.for_school(member.school)
            .select_related("channel", "logged_by")
            .prefetch_related("learners")[:200],
        },
        status=400 if form.errors else 200,
    )


# --- school-created learner accounts ------------------------------------------------------


@school_view("learner_accounts.manage")
def learner_accounts(request: HttpRequest, member: Membership) -> HttpResponse:
    form = channel_forms.LearnerAccountForm(
        request.POST or None, school=member.school, initial={"created_on": timezone.localdate()}
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.learner_account_register(
                actor=member.person, request=request, **form.cleaned_data
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, "Account recorded: the learner is old enough.")
            return redirect("channels:learner_accounts", school=member.school.slug)
    return render(
        request,
        "channels/learner_accounts.html",
        {
            "member": member,
            "form": form,
            "accounts": LearnerAccount.objects.for_school(member.school).select_related("learner")[
                :500
            ],
            "service_names": _services(member),
        },
        status=400 if form.errors else 200,
    )
