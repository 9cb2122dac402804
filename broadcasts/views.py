"""The Messages tool: write once, send by email, SMS and fax; see who got what; templates."""

import datetime as dt

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from core.params import search_param
from credits.services import InsufficientCredit
from messaging import composer
from messaging.access import access_message_template
from messaging.selectors import message_templates_visible
from messaging.services.planning import SendRefused
from messaging.services.templates import message_template_delete

from . import selectors
from .access import access_broadcast
from .models import Channel
from .services import (
    BroadcastPlan,
    TemplateRefused,
    broadcast_plan,
    broadcast_send,
    channel_counts,
    message_template_save,
    people_by_position,
)
from .tool import MAX_IDS, ToolState, add_typed, edit_entries, entries

PEOPLE_PER_PAGE = 50
BROADCASTS_PER_PAGE = 25
TYPED_KINDS = ("email", "mobile", "fax")
FIELDS = {"subject", "body", "channels", "recipients", "template_name"}  # where the page shows a problem


@login_required
@require_http_methods(["GET", "POST"])
def messages_compose(request: HttpRequest) -> HttpResponse:
    """New message. Buttons post back here with an `action`; Send sends, the others edit the form."""
    user = request.user
    if request.method == "GET":
        template_id = request.GET.get("template", "")
        if template_id.isdigit() and len(template_id) < MAX_IDS:
            state = ToolState.from_template(access_message_template(user, int(template_id)))
        else:
            state = ToolState.from_data(QueryDict())
        return _render(request, state, {})

    state = ToolState.from_data(request.POST)
    action = request.POST.get("action", "preview")
    errors: dict[str, list[str]] = {}
    typed = {kind: request.POST.get(f"typed_{kind}", "") for kind in TYPED_KINDS}
    query = search_param(request.POST.get("q", ""))
    found = composer.SearchResults()
    if action == "send":
        response = _send(request, state, errors)
        if response is not None:
            return response
    elif action == "save_template":
        _save_template(request, state, errors)
    elif action.startswith("add_") and action[4:] in TYPED_KINDS:
        kind = action[4:]
        if error := add_typed(state, kind, typed[kind], user):
            errors[f"typed_{kind}"] = [error]
        else:
            typed[kind] = ""
    elif action.startswith(("add_contact:", "add_list:", "remove:")):
        edit_entries(state, action)
    if query and action != "send":
        # Email and fax go to contacts without a mobile too: the search keeps them.
        found = composer.search(user, query, with_mobile=False)
    status = 402 if list(errors) == ["credit"] else 400 if errors else 200
    return _render(request, state, errors, typed=typed, query=query, found=found, status=status)


def _send(request: HttpRequest, state: ToolState, errors: dict[str, list[str]]) -> HttpResponse | None:
    try:
        broadcast = broadcast_send(user=request.user, draft=state.draft, idempotency_key=state.idempotency_key)
    except SendRefused as refused:
        for problem in refused.problems:
            text = f"{problem.value}: {problem.reason}" if problem.value else problem.reason
            errors.setdefault(problem.field if problem.field in FIELDS else "recipients", []).append(text)
        return None
    except InsufficientCredit as short:
        errors["credit"] = [str(short)]
        return None
    messages.success(request, _("Message accepted for sending."))
    return redirect("messages_detail", broadcast_id=broadcast.pk)


def _save_template(request: HttpRequest, state: ToolState, errors: dict[str, list[str]]) -> None:
    name = request.POST.get("template_name", "")
    try:
        template = message_template_save(user=request.user, name=name, draft=state.draft)
    except TemplateRefused as refused:
        for problem in refused.problems:
            errors.setdefault(problem.field, []).append(problem.reason)
        return
    messages.success(request, _("Saved as the template “%(name)s”.") % {"name": template.name})


def _render(request, state: ToolState, errors, *, typed=None, query="", found=None, status=200) -> HttpResponse:
    user = request.user
    plan = broadcast_plan(user=user, draft=state.draft)
    context = {
        "state": state,
        "draft": state.draft,
        "entries": entries(state, user),
        "errors": errors,
        "typed": typed or {},
        "query": query,
        "results": found or composer.SearchResults(),
        "channels": Channel.choices,
        "plan": plan,
        "summary": channel_counts(plan),
        "cost": composer.cost_of(plan.sms, user) if plan.sms else None,
        "templates": message_templates_visible(user=user)[:50],
        "ready": _ready(plan),
        "max_text": settings.MESSAGES_MAX_TEXT,
    }
    return render(request, "broadcasts/compose.html", context, status=status)


def _ready(plan: BroadcastPlan) -> bool:
    """Enough to show a summary: some channel ticked and some recipient added."""
    return bool(plan.channels and plan.people)


@login_required
def messages_detail(request: HttpRequest, broadcast_id: int) -> HttpResponse:
    """Every recipient x channel with its state, refreshing itself while copies are in flight."""
    broadcast = access_broadcast(request.user, broadcast_id)
    progress = selectors.broadcast_progress(broadcast=broadcast)
    page = Paginator(range(broadcast.person_count), PEOPLE_PER_PAGE).get_page(request.GET.get("page"))
    positions = list(page.object_list)
    deliveries = broadcast.deliveries.filter(position__in=positions).select_related("sms_recipient")
    context = {
        "broadcast": broadcast,
        "progress": progress,
        "page": page,
        "lines": people_by_position(deliveries, broadcast.channel_list),
        "channels": [(c, label) for c, label in Channel.choices if c in broadcast.channel_list],
        "recent": broadcast.created_at > timezone.now() - dt.timedelta(hours=1),
    }
    return render(request, "broadcasts/detail.html", context)


@login_required
def messages_history(request: HttpRequest) -> HttpResponse:
    sent = request.user.broadcasts.order_by("-created_at", "-id")
    page = Paginator(sent, BROADCASTS_PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "broadcasts/history.html", {"page": page})


@login_required
def message_templates(request: HttpRequest) -> HttpResponse:
    templates = Paginator(message_templates_visible(user=request.user), 50).get_page(request.GET.get("page"))
    return render(request, "broadcasts/message_templates.html", {"page": templates})


@login_required
@require_POST
def message_template_delete_view(request: HttpRequest, template_id: int) -> HttpResponse:
    template = access_message_template(request.user, template_id)
    try:
        message_template_delete(user=request.user, template=template)
    except TemplateRefused as refused:
        messages.error(request, str(refused))
    else:
        messages.success(request, _("Template “%(name)s” deleted.") % {"name": template.name})
    return redirect("message_templates")
