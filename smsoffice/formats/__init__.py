"""Date and time formats for each language we ship (FORMAT_MODULE_PATH in settings).

One way to write a moment on every page: day first and 24-hour, as people in Belgium
(the suite's home) write it in English, French and Dutch alike: 30/11/2026 23:48.
Django's own English formats are American (11/30/2026 11:48 p.m.) and its Dutch ones
are the Netherlands' (30-11-2026). Month and weekday names still come in the user's
language. Input formats are not set here, so Django's per-language ones still apply.
"""

DATE_FORMAT = "j M Y"
DATETIME_FORMAT = "j M Y H:i"
TIME_FORMAT = "H:i"
SHORT_DATE_FORMAT = "d/m/Y"
SHORT_DATETIME_FORMAT = "d/m/Y H:i"
YEAR_MONTH_FORMAT = "F Y"
MONTH_DAY_FORMAT = "j F"
FIRST_DAY_OF_WEEK = 1  # Monday
