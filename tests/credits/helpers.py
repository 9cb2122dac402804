import datetime as dt

from django.db.models import Sum

from credits.models import Bucket, CreditAccount, Hold, LedgerEntry

UTC = dt.UTC


def at(year: int, month: int, day: int, hour: int = 12) -> dt.datetime:
    return dt.datetime(year, month, day, hour, tzinfo=UTC)


def assert_ledger_consistent(account: CreditAccount) -> None:
    """Each counter equals the sum of its ledger deltas; held equals what open holds hold."""
    account.refresh_from_db()
    for bucket, available, held in (
        (Bucket.MONTHLY, account.monthly_remaining, account.monthly_held),
        (Bucket.PROVISION, account.provision_balance, account.provision_held),
    ):
        sums = LedgerEntry.objects.filter(account=account, bucket=bucket).aggregate(
            available=Sum("available_delta", default=0), held=Sum("held_delta", default=0)
        )
        assert (available, held) == (sums["available"], sums["held"]), bucket
    open_holds = Hold.objects.filter(account=account).aggregate(
        monthly=Sum("monthly_open", default=0), provision=Sum("provision_open", default=0)
    )
    assert (account.monthly_held, account.provision_held) == (open_holds["monthly"], open_holds["provision"])
    assert min(account.monthly_remaining, account.monthly_held, account.provision_balance, account.provision_held) >= 0
