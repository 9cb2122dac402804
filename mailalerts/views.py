"""Mail alerts pages: mailboxes, filters, quiet hours and caps, the log."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods, require_POST

from accounts.phones import format_international

from . import selectors
from .access import access_mail_filter, access_mailbox
from .forms import AlertSettingsForm, MailboxForm, MailFilterForm
from .imap import MailboxError
from .models import Mailbox, MailFilter
from .services.configure import (
    MailAlertError,
    alert_settings_for,
    alert_settings_save,
    mail_filter_delete,
    mail_filter_move,
    mail_filter_save,
    mailbox_connect,
    mailbox_delete,
    mailbox_test,
    mailbox_update,
)

JUST_NOW = 60  # seconds: a mailbox checked this recently was checked "just now"


def _checked_every() -> str:
    low, high = selectors.check_interval()
    return _("checked every %(low)s to %(high)s seconds") % {"low": low, "high": high}


@login_required
def index(request: HttpRequest) -> HttpResponse:
    user = request.user
    now = timezone.now()
    mailboxes = list(selectors.mailboxes_of(user=user))
    for mailbox in mailboxes:
        mailbox.checked_just_now = (
            bool(mailbox.last_poll_at) and (now - mailbox.last_poll_at).total_seconds() < JUST_NOW
        )
    context = {
        "mailboxes": mailboxes,
        "failing": [mailbox for mailbox in mailboxes if mailbox.last_error],
        "filters": selectors.mail_filters_of(user=user),
        "prefs": alert_settings_for(user=user),
        "recent": selectors.alert_log(user=user)[:10],
        "checked_every": _checked_every(),
    }
    return render(request, "mailalerts/index.html", context)


def _warn_without_mobile(request: HttpRequest, alerts_on: bool) -> None:
    """Alerts just turned on that would go to a mobile number the user has not given."""
    if alerts_on and not request.user.mobile:
        messages.warning(
            request, _("Alerts are on, but no SMS can be sent until you add your mobile number in Personal data.")
        )


def _form_error(form, error: MailAlertError) -> None:
    form.add_error(error.field if error.field in form.fields else None, str(error))


@login_required
@require_http_methods(["GET", "POST"])
def mailbox_new(request: HttpRequest) -> HttpResponse:
    form = MailboxForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            mailbox = mailbox_connect(
                user=request.user,
                name=data["name"],
                host=data["host"],
                port=data["port"],
                security=data["security"],
                username=data["username"],
                password=data["password"],
                folder=data["folder"],
                notify_all=data["notify_all"],
                name_in_sms=data["name_in_sms"],
            )
        except MailAlertError as error:
            _form_error(form, error)
        else:
            messages.success(
                request,
                _("Connected to “%(name)s”. Mail arriving from now on is %(checked)s.")
                % {"name": mailbox.name, "checked": _checked_every()},
            )
            _warn_without_mobile(request, mailbox.notify_all)
            return redirect("mailalerts_index")
    return _mailbox_page(request, form, None)


@login_required
@require_http_methods(["GET", "POST"])
def mailbox_edit(request: HttpRequest, mailbox_id: int) -> HttpResponse:
    mailbox = access_mailbox(request.user, mailbox_id)
    initial = {
        field: getattr(mailbox, field)
        for field in ("name", "host", "port", "security", "username", "folder", "notify_all", "name_in_sms", "active")
    }
    form = MailboxForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            mailbox_update(mailbox=mailbox, **{field: data[field] for field in MailboxForm.base_fields})
        except MailAlertError as error:
            _form_error(form, error)
        else:
            messages.success(request, _("“%(name)s” saved.") % {"name": mailbox.name})
            _warn_without_mobile(request, mailbox.notify_all and mailbox.active)
            return redirect("mailalerts_index")
    return _mailbox_page(request, form, mailbox)


def _mailbox_page(request: HttpRequest, form: MailboxForm, mailbox: Mailbox | None) -> HttpResponse:
    status = 400 if form.errors else 200
    context = {"form": form, "mailbox": mailbox, "checked_every": _checked_every()}
    return render(request, "mailalerts/mailbox_form.html", context, status=status)


@login_required
@require_POST
def mailbox_test_view(request: HttpRequest, mailbox_id: int) -> HttpResponse:
    mailbox = access_mailbox(request.user, mailbox_id)
    try:
        state = mailbox_test(mailbox=mailbox)
    except MailboxError as error:
        messages.error(request, _("“%(name)s”: %(error)s") % {"name": mailbox.name, "error": error})
    else:
        messages.success(
            request,
            _("“%(name)s” works: the folder %(folder)s opens (next UID %(uid)s).")
            % {"name": mailbox.name, "folder": mailbox.folder, "uid": state.uidnext},
        )
    return redirect("mailalerts_index")


@login_required
@require_http_methods(["GET", "POST"])
def mailbox_delete_view(request: HttpRequest, mailbox_id: int) -> HttpResponse:
    mailbox = access_mailbox(request.user, mailbox_id)
    done = _("“%(name)s” is no longer watched.") % {"name": mailbox.name}
    return _confirm_delete(request, mailbox, lambda: mailbox_delete(mailbox=mailbox), done)


def _confirm_delete(request: HttpRequest, thing: Mailbox | MailFilter, delete, done: str) -> HttpResponse:
    """GET asks "Delete “name”?"; POST deletes (through the service given) and says `done`."""
    if request.method == "POST":
        delete()
        messages.success(request, done)
        return redirect("mailalerts_index")
    return render(request, "mailalerts/confirm_delete.html", {"thing": thing})


FILTER_FIELDS = list(MailFilterForm.base_fields)


@login_required
@require_http_methods(["GET", "POST"])
def filter_new(request: HttpRequest) -> HttpResponse:
    return _filter_page(request, None)


@login_required
@require_http_methods(["GET", "POST"])
def filter_edit(request: HttpRequest, filter_id: int) -> HttpResponse:
    return _filter_page(request, access_mail_filter(request.user, filter_id))


def _filter_page(request: HttpRequest, mail_filter: MailFilter | None) -> HttpResponse:
    initial = {field: getattr(mail_filter, field) for field in FILTER_FIELDS} if mail_filter else None
    if initial and initial["notify_to"]:
        initial["notify_to"] = format_international(initial["notify_to"])  # as people write it
    form = MailFilterForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            saved = mail_filter_save(user=request.user, mail_filter=mail_filter, **form.cleaned_data)
        except MailAlertError as error:
            _form_error(form, error)
        else:
            messages.success(request, _("Filter “%(name)s” saved.") % {"name": saved.name})
            _warn_without_mobile(request, saved.active and not saved.notify_to)
            return redirect("mailalerts_index")
    status = 400 if form.errors else 200
    context = {"form": form, "mail_filter": mail_filter}
    return render(request, "mailalerts/filter_form.html", context, status=status)


@login_required
@require_POST
def filter_move(request: HttpRequest, filter_id: int) -> HttpResponse:
    mail_filter_move(
        mail_filter=access_mail_filter(request.user, filter_id), up=request.POST.get("direction") != "down"
    )
    return redirect("mailalerts_index")


@login_required
@require_http_methods(["GET", "POST"])
def filter_delete(request: HttpRequest, filter_id: int) -> HttpResponse:
    mail_filter = access_mail_filter(request.user, filter_id)
    done = _("Filter “%(name)s” deleted.") % {"name": mail_filter.name}
    return _confirm_delete(request, mail_filter, lambda: mail_filter_delete(mail_filter=mail_filter), done)


@login_required
@require_http_methods(["GET", "POST"])
def alert_settings(request: HttpRequest) -> HttpResponse:
    prefs = alert_settings_for(user=request.user)
    initial = {field: getattr(prefs, field) for field in AlertSettingsForm.base_fields}
    form = AlertSettingsForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            saved = alert_settings_save(user=request.user, **form.cleaned_data)
        except MailAlertError as error:
            _form_error(form, error)
        else:
            messages.success(request, _("Quiet hours and caps saved."))
            _warn_cap_reached(request, saved)
            return redirect("mailalerts_index")
    context = {"form": form, "time_zone": request.user.time_zone}
    return render(request, "mailalerts/settings.html", context, status=400 if form.errors else 200)


def _warn_cap_reached(request: HttpRequest, prefs) -> None:
    """A cap lowered below what was already sent stops alerts at once: say so now, not
    when an alert goes missing."""
    hour, day = selectors.alerts_counted(user=request.user, now=timezone.now())
    if hour >= prefs.max_per_hour:
        sent = ngettext(
            "%(count)s alert SMS was sent in the last hour",
            "%(count)s alert SMS were sent in the last hour",
            hour,
        ) % {"count": hour}
        messages.warning(
            request,
            _("The cap of %(max)s an hour is already reached (%(sent)s): the next alerts are logged, not sent.")
            % {"max": prefs.max_per_hour, "sent": sent},
        )
    elif day >= prefs.max_per_day:
        sent = ngettext(
            "%(count)s alert SMS was sent in the last 24 hours",
            "%(count)s alert SMS were sent in the last 24 hours",
            day,
        ) % {"count": day}
        messages.warning(
            request,
            _("The cap of %(max)s a day is already reached (%(sent)s): the next alerts are logged, not sent.")
            % {"max": prefs.max_per_day, "sent": sent},
        )


@login_required
def alert_log_view(request: HttpRequest) -> HttpResponse:
    page = Paginator(selectors.alert_log(user=request.user), 50).get_page(request.GET.get("page"))
    return render(request, "mailalerts/log.html", {"page": page})
