"""Every write of mail alerts, by topic: configure.py (mailboxes, filters, settings),
polling.py (the tick, polls and the SMS they send)."""
