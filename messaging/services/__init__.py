"""Sending SMS: the one pipeline every sender uses (composer, API, Messages tool,
reminders, agenda, mail alerts), one module a stage, each the only place that writes it:

    planning.py     message_plan(): read and check the input, count parts; writes nothing
    accepting.py    message_send(): limits and credit under the account lock, rows queued
    dispatching.py  recipients_dispatch(): claim, hand to the gateway, record, settle credit
    reports.py      status_updates_apply(): delivery reports, forward only
    sweep.py        messaging_sweep(): scheduled sends start, lost and stale work found again
    outbox.py       the outbox engine the stages (and the Messages tool's copies) share
"""
