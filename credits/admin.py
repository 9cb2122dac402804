"""Credit in the admin console: plans and packs are settings; balances change only through services."""

from django.contrib import admin, messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from .forms import GrantForm
from .models import CreditAccount, CreditPack, LedgerEntry, Plan, Purchase, PurchaseStatus
from .services import CreditError, account_plan_assign, credits_grant, purchase_approve, purchase_reject


@admin.register(Plan)
class PlanAdmin(admin.ModelAdmin):
    list_display = ("name", "monthly_allowance", "is_default")


@admin.register(CreditPack)
class CreditPackAdmin(admin.ModelAdmin):
    list_display = ("name", "credits", "price", "active")
    list_filter = ("active",)


class NoAddNoDelete:
    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(CreditAccount)
class CreditAccountAdmin(NoAddNoDelete, admin.ModelAdmin):
    list_display = (
        "__str__",
        "plan",
        "monthly_remaining",
        "monthly_held",
        "provision_balance",
        "provision_held",
        "period_start",
    )
    list_select_related = ("user", "organisation", "plan")
    list_filter = ("plan",)
    search_fields = ("user__username", "user__full_name", "user__email", "organisation__name")
    fields = (
        "user",
        "organisation",
        "plan",
        "period_start",
        "period_end",
        "monthly_allowance",
        "monthly_used",
        "monthly_remaining",
        "monthly_held",
        "provision_balance",
        "provision_held",
        "low_credit_threshold",
        "tools",
    )
    readonly_fields = tuple(f for f in fields if f != "plan")

    @admin.display(description=gettext_lazy("Credit"))
    def tools(self, account: CreditAccount) -> str:
        if not account.pk:
            return ""
        return format_html(
            '<a href="{}">{}</a> · <a href="{}?account__id__exact={}">{}</a>',
            reverse("admin:credits_creditaccount_grant", args=[account.pk]),
            _("Grant or remove credit"),
            reverse("admin:credits_ledgerentry_changelist"),
            account.pk,
            _("Ledger"),
        )

    def save_model(self, request, obj: CreditAccount, form, change) -> None:
        # Only the plan is editable here; it changes through its service.
        account_plan_assign(account=obj, plan=form.cleaned_data["plan"])

    def get_urls(self):
        grant = self.admin_site.admin_view(self.grant_view)
        return [path("<int:account_id>/grant/", grant, name="credits_creditaccount_grant"), *super().get_urls()]

    def grant_view(self, request: HttpRequest, account_id: int) -> HttpResponse:
        account = get_object_or_404(CreditAccount.objects.select_related("user", "organisation"), pk=account_id)
        if not self.has_change_permission(request, account):
            return redirect("admin:index")
        form = GrantForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                credits_grant(
                    account=account,
                    amount=form.cleaned_data["amount"],
                    reason=form.cleaned_data["reason"],
                    actor=request.user,
                )
            except CreditError as error:
                form.add_error("amount", str(error))
            else:
                messages.success(
                    request, _("Credit of %(user)s changed.") % {"user": account.organisation or account.user}
                )
                return redirect("admin:credits_creditaccount_change", account.pk)
        context = {
            **self.admin_site.each_context(request),
            "form": form,
            "account": account,
            "title": _("Grant or remove credit"),
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/credits/grant.html", context, status=400 if form.errors else 200)


@admin.register(LedgerEntry)
class LedgerEntryAdmin(NoAddNoDelete, admin.ModelAdmin):
    """The ledger is append-only: it can be read and filtered here, never edited."""

    list_display = (
        "created_at",
        "account",
        "kind",
        "bucket",
        "available_delta",
        "held_delta",
        "available_after",
        "reference",
        "actor",
        "reason",
    )
    list_select_related = ("account__user", "actor")
    list_filter = ("kind", "bucket")
    search_fields = ("reference", "account__user__username")
    show_full_result_count = False  # no COUNT(*) over a long ledger

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Purchase)
class PurchaseAdmin(NoAddNoDelete, admin.ModelAdmin):
    list_display = ("created_at", "account", "credits", "price", "adapter", "status", "decided_by")
    list_select_related = ("account__user", "decided_by")
    list_filter = ("status", "adapter")
    search_fields = ("account__user__username", "payment_reference")
    actions = ["approve", "reject"]

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    @admin.action(description=gettext_lazy("Approve the selected purchases (adds their credit)"))
    def approve(self, request: HttpRequest, queryset) -> None:
        self._decide(request, queryset, lambda p: purchase_approve(purchase=p, actor=request.user))

    @admin.action(description=gettext_lazy("Reject the selected purchases"))
    def reject(self, request: HttpRequest, queryset) -> None:
        self._decide(request, queryset, lambda p: purchase_reject(purchase=p, actor=request.user))

    def _decide(self, request: HttpRequest, queryset, decide) -> None:
        done = 0
        for purchase in queryset.filter(status=PurchaseStatus.PENDING):
            try:
                decide(purchase)
                done += 1
            except CreditError as error:
                messages.error(request, str(error))
        skipped = queryset.exclude(status=PurchaseStatus.PENDING).count()
        if done or not skipped:
            messages.success(
                request, ngettext("%(done)s purchase decided.", "%(done)s purchases decided.", done) % {"done": done}
            )
        if skipped:
            messages.warning(
                request,
                ngettext(
                    "%(count)s was already decided and was left alone.",
                    "%(count)s were already decided and were left alone.",
                    skipped,
                )
                % {"count": skipped},
            )
