from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from . import charts, selectors
from .forms import BuyForm, ThresholdForm
from .models import PurchaseStatus
from .services import CreditError, account_for, low_credit_threshold_set, period_rollover, purchase_create


def _current_account(request: HttpRequest):
    """The user's account with any due period started, so every page shows today's figures."""
    account = account_for(user=request.user)
    if period_rollover(account=account):
        account.refresh_from_db()
    return account


@login_required
@require_http_methods(["GET", "POST"])
def credit_page(request: HttpRequest) -> HttpResponse:
    """Settings → Account → Credit: balances, packs to buy, recent purchases."""
    account = _current_account(request)
    standing = selectors.member_standing(user=request.user, account=account)
    may_buy = standing is None or standing.manages
    if request.method == "POST" and not may_buy:
        raise PermissionDenied(_("Only the organisation's owners and admins buy credit for it."))
    form = BuyForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                purchase = purchase_create(user=request.user, pack=form.cleaned_data["pack"])
            except CreditError as error:
                form.add_error("pack", str(error))
            else:
                _tell_purchase_outcome(request, purchase)
                return redirect("credit")
        status = 400
    context = {
        "summary": selectors.quota_summary(account=account),
        "packs": selectors.packs_on_sale(),
        "purchases": selectors.recent_purchases(account=account),
        "form": form,
        "standing": standing,
        "may_buy": may_buy,
    }
    return render(request, "credits/credit.html", context, status=status)


def _tell_purchase_outcome(request: HttpRequest, purchase) -> None:
    if purchase.status == PurchaseStatus.APPROVED:
        messages.success(request, _("%(credits)s SMS credits added.") % {"credits": purchase.credits})
    elif purchase.status == PurchaseStatus.PENDING:
        messages.success(
            request,
            _("Purchase of %(credits)s SMS registered: it is added once an administrator approves it.")
            % {"credits": purchase.credits},
        )
    else:
        messages.error(request, _("The payment failed: %(why)s") % {"why": purchase.note or _("no reason given")})


@login_required
@require_http_methods(["GET", "POST"])
def quotas_page(request: HttpRequest) -> HttpResponse:
    """Settings → Account → Quotas: this period's quota as a graph, provision, 12 months of use."""
    account = _current_account(request)
    standing = selectors.member_standing(user=request.user, account=account)
    manages = standing is None or standing.manages  # the pool's warning is its owners' and admins' to set
    if request.method == "POST" and not manages:
        raise PermissionDenied(_("Only the organisation's owners and admins set its low-credit warning."))
    form = ThresholdForm(request.POST or None, initial={"threshold": account.low_credit_threshold})
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                low_credit_threshold_set(account=account, threshold=form.cleaned_data["threshold"])
            except CreditError as error:
                form.add_error("threshold", str(error))
            else:
                messages.success(request, _("Low-credit warning saved."))
                return redirect("quotas")
        status = 400
    summary = selectors.quota_summary(account=account)
    joined = timezone.localtime(request.user.date_joined).date()
    history = charts.months_since(selectors.usage_history(account=account), joined)
    labels = {"used": _("used"), "held": _("held"), "remaining": _("remaining"), "provision": _("provision")}
    context = {
        "account": account,
        "summary": summary,
        "segments": charts.quota_segments(summary, labels),
        "history": history,
        "bars": charts.history_bars(history),
        "ticks": charts.value_ticks(history),
        "axis_width": charts.AXIS_WIDTH,
        "bars_have_usage": any(month.total for month in history),
        "chart_width": charts.BAR_WIDTH,
        "history_height": charts.HISTORY_HEIGHT,
        "form": form,
        "standing": standing,
        "manages": manages,
    }
    if standing is not None and standing.manages:
        # The organisation view beside the pool's: use per member, from MemberUsage rows.
        table = selectors.member_usage_table(account=account)
        bars, height = charts.member_bars(table)
        context |= {
            "member_table": table,
            "member_bars": bars,
            "member_chart_height": height,
            "member_label_width": charts.MEMBER_LABEL_WIDTH,
        }
    return render(request, "credits/quotas.html", context, status=status)


@login_required
def ledger_page(request: HttpRequest) -> HttpResponse:
    """The user's credit history: one line per send or change, newest first, 50 a page."""
    account = account_for(user=request.user)
    before = request.GET.get("before", "")
    before_id = int(before) if before.isdigit() and len(before) < 19 else None
    lines, next_before = selectors.ledger_lines(account=account, before_id=before_id, viewer=request.user)
    context = {"lines": lines, "next_before": next_before, "is_first_page": before_id is None}
    return render(request, "credits/ledger.html", context)
