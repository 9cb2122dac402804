"""Reads for the Messages tool's result page."""

from dataclasses import dataclass

from django.db.models import Count

from messaging.models import RecipientStatus

from .models import Broadcast, Channel, DeliveryStatus

# States in the order a copy goes through them, for the counts line.
COPY_STATE_ORDER = [
    *(s for s in RecipientStatus.values if s not in DeliveryStatus.values),
    *DeliveryStatus.values,
]
COPY_IN_FLIGHT = {DeliveryStatus.QUEUED, DeliveryStatus.SENDING, RecipientStatus.QUEUED, RecipientStatus.SUBMITTING}


@dataclass(frozen=True)
class BroadcastProgress:
    """Copies per channel and state: [(channel label, [(state, state label, count)])]."""

    by_channel: list[tuple[str, list[tuple[str, str, int]]]]

    @property
    def in_flight(self) -> bool:
        return any(state in COPY_IN_FLIGHT for _label, states in self.by_channel for state, _l, _n in states)

    @property
    def awaiting_reports(self) -> bool:
        """SMS copies accepted by the SMS centre whose delivery report may still come."""
        return any(state == RecipientStatus.ACCEPTED for _label, states in self.by_channel for state, _l, _n in states)


def broadcast_progress(*, broadcast: Broadcast) -> BroadcastProgress:
    """One grouped query, whatever the number of recipients."""
    rows = broadcast.deliveries.order_by().values("channel", "status", "sms_recipient__status").annotate(n=Count("id"))
    labels = {**dict(DeliveryStatus.choices), **dict(RecipientStatus.choices)}
    # A skipped copy is the tool's own row ("not sent"), not a skipped SMS recipient.
    labels[DeliveryStatus.SKIPPED] = DeliveryStatus.SKIPPED.label
    counts: dict[str, dict[str, int]] = {c: {} for c in broadcast.channel_list}
    for row in rows:
        state = row["status"] or row["sms_recipient__status"]
        per_channel = counts.setdefault(row["channel"], {})
        per_channel[state] = per_channel.get(state, 0) + row["n"]
    channel_labels = dict(Channel.choices)
    return BroadcastProgress(
        by_channel=[
            (channel_labels[c], [(state, labels[state], n) for state, n in sorted(states.items(), key=_in_order)])
            for c, states in counts.items()
        ]
    )


def _in_order(item: tuple[str, int]) -> int:
    return COPY_STATE_ORDER.index(item[0]) if item[0] in COPY_STATE_ORDER else len(COPY_STATE_ORDER)
