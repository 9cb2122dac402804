from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from .. import forms as f
from ..access import access_contact, access_contact_list, access_list_member
from ..phones import PhoneNumberError
from ..selectors import (
    contact_lists_visible,
    contacts_search,
    list_member_mobile,
    list_members_reachable,
    list_members_unreachable_count,
)
from ..services import (
    ListMemberError,
    SharedDataMoveRefused,
    contact_list_delete,
    contact_list_save,
    list_member_add_address,
    list_member_add_contact,
    list_member_remove,
)

PAGE_SIZE = 25
PICKER_SIZE = 10


@login_required
def list_index(request: HttpRequest) -> HttpResponse:
    lists = contact_lists_visible(user=request.user)
    page = Paginator(lists, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "accounts/list_index.html", {"page": page})


@login_required
@require_http_methods(["GET", "POST"])
def list_create(request: HttpRequest) -> HttpResponse:
    form = f.ContactListForm(request.POST or None, user=request.user)
    if request.method == "POST":
        if form.is_valid():
            contact_list = contact_list_save(
                name=form.cleaned_data["name"].strip(),
                owner=request.user,
                group=form.cleaned_data["group"],
                actor=request.user,
            )
            return redirect("list_detail", list_id=contact_list.pk)
        return render(request, "accounts/list_form.html", {"form": form}, status=400)
    return render(request, "accounts/list_form.html", {"form": form})


@login_required
@require_http_methods(["GET", "POST"])
def list_edit(request: HttpRequest, list_id: int) -> HttpResponse:
    contact_list = access_contact_list(request.user, list_id)
    form = f.ContactListForm.for_list(contact_list, request.user, data=request.POST or None)
    if request.method == "POST":
        if form.is_valid():
            try:
                contact_list_save(
                    contact_list=contact_list,
                    name=form.cleaned_data["name"].strip(),
                    owner=request.user,
                    group=form.cleaned_data["group"],
                    actor=request.user,
                )
            except SharedDataMoveRefused as error:
                form.add_error("group", str(error))
            else:
                return redirect("list_detail", list_id=contact_list.pk)
        return render(request, "accounts/list_form.html", {"form": form, "list": contact_list}, status=400)
    return render(request, "accounts/list_form.html", {"form": form, "list": contact_list})


@login_required
@require_http_methods(["GET", "POST"])
def list_remove(request: HttpRequest, list_id: int) -> HttpResponse:
    contact_list = access_contact_list(request.user, list_id)
    if request.method == "POST":
        contact_list_delete(contact_list=contact_list)
        messages.success(request, _("List “%(name)s” deleted.") % {"name": contact_list.name})
        return redirect("list_index")
    return render(request, "accounts/list_confirm_delete.html", {"list": contact_list})


@login_required
@require_http_methods(["GET", "POST"])
def list_detail(request: HttpRequest, list_id: int) -> HttpResponse:
    """The List's members, a picker to add contacts, and a field to add a free number or email."""
    contact_list = access_contact_list(request.user, list_id)
    entry_form = f.ListEntryForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if entry_form.is_valid():
            try:
                member = list_member_add_address(
                    contact_list=contact_list,
                    entry=entry_form.cleaned_data["entry"],
                    default_region=request.user.default_country or None,
                )
            except (ListMemberError, PhoneNumberError) as error:
                entry_form.add_error("entry", str(error))
            else:
                messages.success(request, _("%(member)s added.") % {"member": member})
                _warn_if_no_sms(request, member)
                return redirect("list_detail", list_id=contact_list.pk)
        status = 400
    search = f.ContactSearchForm(request.GET)
    query = search.cleaned_data["q"] if search.is_valid() else ""
    candidates = contacts_search(user=request.user, query=query)[:PICKER_SIZE] if query else []
    members = list_members_reachable(user=request.user, contact_list=contact_list).select_related("contact")
    page = Paginator(members.prefetch_related("contact__phones"), PAGE_SIZE).get_page(request.GET.get("page"))
    page.object_list = list(page.object_list)
    for member in page.object_list:
        member.no_sms_reason = list_member_mobile(member)[1] if (member.contact_id or member.phone) else ""
    context = {
        "list": contact_list,
        "unreachable": list_members_unreachable_count(user=request.user, contact_list=contact_list),
        "page": page,
        "entry_form": entry_form,
        "search": search,
        "query": query,
        "candidates": candidates,
    }
    return render(request, "accounts/list_detail.html", context, status=status)


def _warn_if_no_sms(request: HttpRequest, member) -> None:
    """Said when the member is added, not discovered at the next send (which skips it)."""
    if not (member.contact_id or member.phone):
        return
    _number, reason = list_member_mobile(member)
    if reason:
        messages.warning(
            request,
            _("%(member)s cannot receive SMS (%(reason)s): SMS sent to this List will skip it.")
            % {"member": member, "reason": reason},
        )


@login_required
@require_POST
def list_add_contact(request: HttpRequest, list_id: int, contact_id: int) -> HttpResponse:
    contact_list = access_contact_list(request.user, list_id)
    contact = access_contact(request.user, contact_id)
    try:
        member = list_member_add_contact(contact_list=contact_list, contact=contact)
    except ListMemberError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("%(member)s added.") % {"member": contact})
        _warn_if_no_sms(request, member)
    return redirect("list_detail", list_id=contact_list.pk)


@login_required
@require_POST
def list_member_delete(request: HttpRequest, list_id: int, member_id: int) -> HttpResponse:
    member = access_list_member(request.user, list_id, member_id)
    list_member_remove(member=member)
    messages.success(request, _("%(member)s removed.") % {"member": member})
    return redirect("list_detail", list_id=list_id)
