"""Settings → Organisation: its members, their roles and limits, invitations; and accepting one.

Owners and admins manage; a plain member sees who is in it. Every object id goes through
an access_managed_* helper: another organisation's object, or any object for a plain
member, is a 404.
"""

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from ..access import access_managed_invitation, access_managed_membership
from ..forms import InvitationForm, MemberForm, SignUpForm
from ..selectors import membership_of, organisation_members, pending_invitations
from ..services import (
    OrganisationError,
    invitation_accept,
    invitation_create,
    invitation_email_send,
    invitation_from_token,
    invitation_revoke,
    invitation_token,
    membership_remove,
    membership_update,
    user_create,
)


@login_required
@require_http_methods(["GET"])
def organisation_page(request: HttpRequest) -> HttpResponse:
    membership = membership_of(user=request.user)
    context = {"membership": membership}
    if membership is not None:
        context |= {
            "members": organisation_members(organisation_id=membership.organisation_id),
            "invitations": pending_invitations(organisation_id=membership.organisation_id)
            if membership.manages
            else [],
            "invite_form": InvitationForm(),
        }
    return render(request, "accounts/organisation.html", context)


def _managing(request: HttpRequest):
    membership = membership_of(user=request.user)
    if membership is None or not membership.manages:
        raise PermissionDenied(_("Only the organisation's owners and admins manage it."))
    return membership


@login_required
@require_POST
def organisation_invite(request: HttpRequest) -> HttpResponse:
    membership = _managing(request)
    form = InvitationForm(request.POST)
    if form.is_valid():
        try:
            invitation = invitation_create(
                organisation=membership.organisation,
                email=form.cleaned_data["email"],
                role=form.cleaned_data["role"],
                invited_by=request.user,
            )
        except OrganisationError as error:
            form.add_error("email", str(error))
        else:
            link = request.build_absolute_uri(
                reverse("invitation_accept", kwargs={"token": invitation_token(invitation=invitation)})
            )
            invitation_email_send(invitation=invitation, link=link)
            messages.success(request, _("Invitation sent to %(email)s.") % {"email": invitation.email})
            return redirect("organisation")
    context = {
        "membership": membership,
        "members": organisation_members(organisation_id=membership.organisation_id),
        "invitations": pending_invitations(organisation_id=membership.organisation_id),
        "invite_form": form,
    }
    return render(request, "accounts/organisation.html", context, status=400)


@login_required
@require_POST
def organisation_member_edit(request: HttpRequest, membership_id: int) -> HttpResponse:
    target = access_managed_membership(request.user, membership_id)
    form = MemberForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose a role, and a whole number of credits as the limit (or leave it empty)."))
        return redirect("organisation")
    try:
        membership_update(membership=target, role=form.cleaned_data["role"], limit=form.cleaned_data["monthly_limit"])
    except OrganisationError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("%(name)s saved.") % {"name": target.user.get_full_name()})
    return redirect("organisation")


@login_required
@require_POST
def organisation_member_remove(request: HttpRequest, membership_id: int) -> HttpResponse:
    target = access_managed_membership(request.user, membership_id)
    try:
        membership_remove(membership=target)
    except OrganisationError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("%(name)s was removed.") % {"name": target.user.get_full_name()})
    return redirect("organisation" if target.user_id != request.user.pk else "home")


@login_required
@require_POST
def organisation_invitation_revoke(request: HttpRequest, invitation_id: int) -> HttpResponse:
    invitation = access_managed_invitation(request.user, invitation_id)
    invitation_revoke(invitation=invitation)
    messages.success(request, _("The invitation to %(email)s was revoked.") % {"email": invitation.email})
    return redirect("organisation")


@require_http_methods(["GET", "POST"])
def invitation_accept_page(request: HttpRequest, token: str) -> HttpResponse:
    """The invitation link: log in (or make an account) and join. A bad link says why, 400."""
    try:
        invitation = invitation_from_token(token=token)
    except OrganisationError as error:
        return render(request, "accounts/invitation.html", {"problem": str(error)}, status=400)
    signup = SignUpForm(request.POST if request.method == "POST" and not request.user.is_authenticated else None)
    if request.method == "POST":
        user = request.user if request.user.is_authenticated else None
        if user is None and signup.is_valid():
            try:
                validate_password(signup.cleaned_data["password"])
            except ValidationError as error:
                signup.add_error("password", error)
            else:
                user = user_create(
                    username=signup.cleaned_data["username"],
                    password=signup.cleaned_data["password"],
                    email=invitation.email,
                    full_name=signup.cleaned_data["full_name"],
                )
                login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        if user is not None:
            try:
                invitation_accept(token=token, user=user)
            except OrganisationError as error:
                return render(request, "accounts/invitation.html", {"problem": str(error)}, status=400)
            messages.success(request, _("You joined %(name)s.") % {"name": invitation.organisation.name})
            return redirect("organisation")
        status = 400
    else:
        status = 200
    context = {"invitation": invitation, "signup": signup, "token": token}
    return render(request, "accounts/invitation.html", context, status=status)
