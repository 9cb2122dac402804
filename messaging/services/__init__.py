"""Sending SMS: the one pipeline every sender uses (composer, API, Messages tool,
reminders, agenda, mail alerts), one module a stage or topic, each the only place
that writes what it owns:

    planning.py       message_plan(): read and check the input, count parts; writes nothing
    accepting.py      message_send(): limits and credit under the account lock, rows queued
    dispatching.py    recipients_dispatch(): claim, hand to the gateway, record, settle credit
    reports.py        status_updates_apply(): delivery reports, forward only
    reconciling.py    recipients_reconcile(): ask the provider about `unknown` recipients
    sweep.py          messaging_sweep(): scheduled sends start, lost and stale work found again
    outbox.py         the outbox engine the stages (and the Messages tool's copies) share
    incoming.py       incoming_receive(): incoming SMS stored once, STOP/START, replies routed
    optout.py         the opt-out list and its history
    confirmations.py  the answers to STOP and START (their own outbox, paid by no user)
    notify.py         telling users that replies came
    senders.py        sender IDs asked for and approved (which one a send uses: planning)
    templates.py      message templates for the composer and the Messages tool
"""
