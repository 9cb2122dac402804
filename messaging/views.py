"""The SMS composer, a message's delivery page, and the Sent SMS history."""

import datetime as dt

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.selectors import membership_of
from core.params import date_param, search_param
from credits import periods
from credits.services import InsufficientCredit, pool_for

from . import composer, export, selectors, senders, smart_encoding
from .access import access_message, access_message_template
from .inbox import replies_by_recipient
from .models import RecipientStatus
from .services.accepting import message_cancel, message_send
from .services.planning import RECIPIENT_FIELDS, SendRefused
from .services.templates import TemplateRefused, message_template_delete, message_template_save

RECIPIENTS_PER_PAGE = 50
MESSAGES_PER_PAGE = 25


@login_required
@require_http_methods(["GET", "POST"])
def compose(request: HttpRequest) -> HttpResponse:
    """New SMS. Buttons post back here with an `action`; Send sends, the others edit the form."""
    user = request.user
    errors: dict[str, list[str]] = {}
    results = composer.SearchResults()
    if request.method == "GET":
        state = composer.ComposerState.from_data(request.GET.copy())
        if error := composer.prefill(state, request.GET, user):
            errors["mobile"] = [error]
        typed = request.GET.get("to", "") if errors else ""
        return _render_composer(request, state, errors, results, typed=typed, status=400 if errors else 200)

    state = composer.ComposerState.from_data(request.POST)
    action = request.POST.get("action", "add")
    typed = request.POST.get("mobile", "").strip()
    query = search_param(request.POST.get("q", ""))
    status = 200
    if error := composer.csv_upload(state, request.FILES.get("csv_file")):
        errors["csv"] = [error]
        status = 400
    if action == "send" and not errors:
        response = _send(request, state, errors)
        if response is not None:
            return response
        status = 402 if "credit" in errors and len(errors) == 1 else 400
    elif action == "send":
        pass  # refused above: the upload could not be read
    elif action == "add" and typed:
        if error := composer.add_number(state, typed, user):
            errors["mobile"] = [error]
            status = 400
        else:
            typed = ""
    elif action == "add" or action == "search":
        results = composer.search(user, query)
    elif action.startswith("search_page:"):
        results = composer.search(user, query, _page_number(action.partition(":")[2]))
    elif action.startswith("template_"):
        status = _template_action(request, state, action, errors)
    elif action == "fix_quotes":
        state.body = smart_encoding.gsm_friendly(state.body)
    elif action == "add_ticked":
        composer.add_ticked(state, request.POST)
    elif action.startswith(("add_contact:", "add_list:", "remove:")):
        _edit_recipients(state, action)
    shown = request.POST.get("search_page", "")
    if action != "send" and not results and (query or shown):
        # Keep the results (and their page) while picking from them.
        results = composer.search(user, query, _page_number(shown))
    return _render_composer(
        request, state, errors, results, typed=typed, query=query, status=status, focus=_focus_after(action)
    )


def _template_action(
    request: HttpRequest, state: composer.ComposerState, action: str, errors: dict[str, list[str]]
) -> int:
    """Use, save (a new one, or the author's of that name again) or delete a template; the status to answer."""
    user = request.user
    if action == "template_save":
        group_id = request.POST.get("template_group", "")
        group = user.groups.filter(pk=group_id).first() if group_id.isdigit() and len(group_id) < 12 else None
        if group_id and group is None:
            errors["template_name"] = [_("You can only share a template with a group you belong to.")]
            return 400
        try:
            template = message_template_save(
                user=user, name=request.POST.get("template_name", ""), body=state.body, group=group
            )
        except TemplateRefused as refused:
            errors["template_name"] = [p.reason for p in refused.problems]
            return 400
        state.template_id = template.pk
        messages.success(request, _("Saved as the template “%(name)s”.") % {"name": template.name})
        return 200
    if state.template_id is None:
        errors["template_name"] = [_("Pick a template first.")]
        return 400
    template = access_message_template(user, state.template_id)
    if action == "template_use":
        state.body = template.body
    elif action == "template_delete":
        try:
            message_template_delete(user=user, template=template)
        except TemplateRefused as refused:
            errors["template_name"] = [p.reason for p in refused.problems]
            return 400
        state.template_id = None
        messages.success(request, _("Template “%(name)s” deleted.") % {"name": template.name})
    return 200


def _focus_after(action: str) -> str:
    """The field a keyboard user was in before this post-back: the page puts the focus back there."""
    if action == "add" or action.startswith("remove:"):
        return "mobile"
    if action == "search" or action.startswith(("add_contact:", "add_list:", "search_page:")) or action == "add_ticked":
        return "q"
    return ""


@login_required
@require_POST
def compose_counter(request: HttpRequest) -> HttpResponse:
    """The live counter under the text (htmx swaps it in while the user types)."""
    state = composer.ComposerState.from_data(request.POST)
    return render(request, "messaging/_counter.html", _counter_context(state, request.user))


def _send(request: HttpRequest, state: composer.ComposerState, errors: dict[str, list[str]]) -> HttpResponse | None:
    send_at, when_error = composer.send_at_from_local(state, request.user)
    if when_error:
        errors["send_at"] = [when_error]
        return None
    csv = composer.csv_state(state, request.user)
    if csv.error:
        errors["csv"] = [csv.error]  # a CSV that cannot be read is never half-used
        return None
    try:
        message = message_send(
            user=request.user,
            body=state.body,
            to=state.numbers,
            contact_ids=state.contact_ids,
            list_ids=state.list_ids,
            csv_rows=csv.rows,
            with_placeholders=True,
            with_signature=state.with_signature,
            send_at=send_at,
            idempotency_key=state.idempotency_key,
            sender=state.sender,
        )
    except SendRefused as refused:
        for problem in refused.problems:
            # A recipient's problem names it (what was typed, a contact); the others' reasons
            # say all (a send time's value is ISO 8601, for the API, not for reading).
            is_recipient = problem.field in RECIPIENT_FIELDS
            field = "recipients" if is_recipient else "body" if problem.field == "placeholders" else problem.field
            errors.setdefault(field, []).append(
                f"{problem.value}: {problem.reason}" if problem.value and is_recipient else problem.reason
            )
        return None
    except InsufficientCredit as short:
        errors["credit"] = [str(short)]
        return None
    messages.success(request, _("SMS scheduled.") if send_at else _("SMS accepted for sending."))
    return redirect("sms_detail", message_id=message.pk)


def _page_number(value: str) -> int:
    return int(value) if value.isdigit() and len(value) < 6 else 1


def _edit_recipients(state: composer.ComposerState, action: str) -> None:
    kind, _sep, value = action.partition(":")
    if kind == "add_contact" and value.isdigit() and int(value) not in state.contact_ids:
        state.contact_ids.append(int(value))
    elif kind == "add_list" and value.isdigit() and int(value) not in state.list_ids:
        state.list_ids.append(int(value))
    elif kind == "remove":
        what, _sep, key = value.partition("=")
        if what == "number":
            state.numbers = [n for n in state.numbers if n != key]
        elif what == "contact":
            state.contact_ids = [i for i in state.contact_ids if str(i) != key]
        elif what == "list":
            state.list_ids = [i for i in state.list_ids if str(i) != key]
        elif what == "csv":
            state.csv, state.csv_column = "", ""


def _counter_context(state: composer.ComposerState, user) -> dict:
    csv = composer.csv_state(state, user)
    plan = composer.plan_for(state, user, csv)
    return {
        "csv": csv,
        "plan": plan,
        "info": plan.info,
        "cost": composer.cost_of(plan, user),
        "rewrite": composer.rewrite_offer(plan),
        "double": composer.counted_double(plan.text, plan.info),
        "max_parts": settings.SMS_MAX_PARTS,
        "highlighted": composer.highlighted(plan.text, plan.info.ucs2_characters),
        "recipient_count": len(plan.recipients),
        "placeholder_problems": [p.reason for p in plan.problems if p.field == "placeholders"],
        "max_recipients": settings.SMS_MAX_RECIPIENTS,
        "senders": selectors.sender_ids_usable(user=user),
        "name_refused_in": senders.refused_countries_named(),
    }


def _render_composer(request, state, errors, results, *, typed="", query="", status=200, focus="") -> HttpResponse:
    counter = _counter_context(state, request.user)
    context = {
        "focus": focus,
        "state": state,
        "rows": composer.recipient_rows(state, request.user, counter["plan"]),
        "errors": errors,
        "typed": typed,
        "query": query,
        "results": results,
        "picker_ticks": True,
        "templates": composer.templates_state(state, request.user),
        **counter,
    }
    return render(request, "messaging/compose.html", context, status=status)


@login_required
def message_detail(request: HttpRequest, message_id: int) -> HttpResponse:
    """Each recipient's state, a progress bar and the credit, refreshing itself until done."""
    message = selectors.message_with_state(message=access_message(request.user, message_id))
    progress = selectors.message_progress(message=message)
    recipients = message.recipients.select_related("contact").order_by("id")
    state = request.GET.get("state", "")
    if state in RecipientStatus.values:
        recipients = recipients.filter(status=state)
    page = Paginator(recipients, RECIPIENTS_PER_PAGE).get_page(request.GET.get("page"))
    labels = selectors.recipient_state_labels(message=message)
    page.object_list = list(page.object_list)
    replies = replies_by_recipient(request.user, [r.pk for r in page.object_list])
    for recipient in page.object_list:
        recipient.state_label = labels[recipient.status]
        recipient.replies_shown = replies.get(recipient.pk, [])
    state_counts = [
        (key, labels[key], progress.by_state[key])
        for key, _label in RecipientStatus.choices
        if progress.by_state.get(key)
    ]
    context = {
        "message": message,
        "progress": progress,
        "page": page,
        "state": state,
        "state_counts": state_counts,
        "recent": message.created_at > timezone.now() - dt.timedelta(hours=1),
    }
    return render(request, "messaging/message_detail.html", context)


@login_required
@require_POST
def message_cancel_view(request: HttpRequest, message_id: int) -> HttpResponse:
    message = access_message(request.user, message_id)
    try:
        message_cancel(message=message)
    except SendRefused as refused:
        messages.error(request, str(refused))
    else:
        messages.success(request, _("The scheduled SMS was canceled; its credit is back."))
    return redirect("sms_detail", message_id=message.pk)


@login_required
def history(request: HttpRequest) -> HttpResponse:
    """Sent SMS: searchable by number, contact name and text; filtered by state and date."""
    query = search_param(request.GET.get("q", ""))
    state = request.GET.get("state", "")
    since = date_param(request.GET.get("since", ""))
    until = date_param(request.GET.get("until", ""))
    found = selectors.messages_search(
        user=request.user,
        query=query,
        state=state if state in selectors.MessageState.values else "",
        since=since,
        until=until,
    )
    page = Paginator(found, MESSAGES_PER_PAGE).get_page(request.GET.get("page"))
    page.object_list = list(page.object_list)
    for message in page.object_list:
        message.state_text = selectors.state_text(message)
    context = {
        "page": page,
        "query": query,
        "state": state,
        "since": since,
        "until": until,
        "states": selectors.MessageState.choices,
    }
    return render(request, "messaging/history.html", context)


def _csv_response(recipients, name: str) -> StreamingHttpResponse:
    response = StreamingHttpResponse(export.csv_stream(recipients), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@login_required
def message_export(request: HttpRequest, message_id: int) -> StreamingHttpResponse:
    """One message's recipients as CSV."""
    message = access_message(request.user, message_id)
    return _csv_response(selectors.recipients_export(user=request.user, message=message), f"sms-{message.pk}.csv")


@login_required
def history_export(request: HttpRequest) -> StreamingHttpResponse:
    """Every recipient of the user's SMS between `since` and `until` (Sent SMS's dates) as CSV."""
    since = date_param(request.GET.get("since", ""))
    until = date_param(request.GET.get("until", ""))
    recipients = selectors.recipients_export(user=request.user, since=since, until=until)
    return _csv_response(recipients, export.filename("sms", until))


@login_required
@require_GET
def organisation_export(request: HttpRequest) -> HttpResponse:
    """Owners and admins: the organisation's SMS of a period (?period=YYYY-MM-DD, a period start)."""
    membership = membership_of(user=request.user)
    if membership is None or not membership.manages:
        raise PermissionDenied(_("Only the organisation's owners and admins export its SMS."))
    account = pool_for(organisation=membership.organisation)
    starts = periods.recent_period_starts(account.period_start, account.anchor_day, 24)
    chosen = request.GET.get("period", "")
    if chosen:
        try:
            period_start = dt.date.fromisoformat(chosen)
        except ValueError:
            period_start = None
        if period_start not in starts:
            message = _("Choose a period start of the last 24 months, written YYYY-MM-DD, such as %(example)s.") % {
                "example": account.period_start.isoformat()
            }
            return HttpResponse(message, status=400, content_type="text/plain; charset=utf-8")
    else:
        period_start = account.period_start
    rows = export.organisation_sms_rows(account=account, period_start=period_start)
    response = StreamingHttpResponse(export.csv_lines(next(rows), rows), content_type="text/csv; charset=utf-8")
    filename = f"sms-{membership.organisation.pk}-{period_start.isoformat()}.csv"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
