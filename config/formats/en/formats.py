"""Our named formats for English, used by the templates as ``{{ when|date:"SLOT_FORMAT" }}``
(Django looks a name up here first, then in its own formats for the language)."""

DAY_FORMAT = "l j F Y"  # Thursday 26 November 2026
WEEKDAY_MONTH_FORMAT = "l j F"  # Thursday 26 November
DAY_MONTH_FORMAT = "j F"  # 26 November
DAY_SHORT_MONTH_FORMAT = "j M"  # 26 Nov
LONG_DATE_FORMAT = "j F Y"  # 26 November 2026
SHORT_DAY_FORMAT = "D j M"  # Thu 26 Nov
SHORT_DATE_FORMAT_YEAR = "j M Y"  # 26 Nov 2026
SLOT_FORMAT = "D j M, H:i"  # Thu 26 Nov, 09:00
SLOT_YEAR_FORMAT = "D j M Y, H:i"  # Thu 26 Nov 2026, 09:00
SLOT_LONG_FORMAT = "l j F Y, H:i"  # Thursday 26 November 2026, 09:00
DATE_TIME_SHORT_FORMAT = "j M, H:i"  # 26 Nov, 09:00
CLOCK_FORMAT = "H:i"
CLOCK_SECONDS_FORMAT = "H:i:s"
# Nouns in running text: "Christmas holidays (holiday)".
LOWERCASE_NOUNS = True
