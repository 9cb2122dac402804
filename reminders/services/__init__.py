"""Every write of the calendar, by topic: calendars.py (calendars, events, reminders and
their tick, .ics import), agenda.py (the agenda by SMS and its tick)."""
