from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from ..forms import PersonalDataForm
from ..services import user_update_personal_data


@login_required
@require_http_methods(["GET", "POST"])
def personal_data(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        form = PersonalDataForm.for_user(request.user, data=request.POST)
        if form.is_valid():
            user = user_update_personal_data(user=request.user, **form.service_arguments())
            if user.mobile:
                messages.success(
                    request,
                    _("Personal data saved. Your mobile number is %(number)s.") % {"number": user.mobile_display},
                )
            else:
                messages.success(request, _("Personal data saved."))
            return redirect("personal_data")
        status = 400
    else:
        form = PersonalDataForm.for_user(request.user)
        status = 200
    return render(request, "accounts/personal_data.html", {"form": form}, status=status)
