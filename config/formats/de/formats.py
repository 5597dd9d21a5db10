"""Our named formats for German (see ``config/formats/en/formats.py``)."""

DAY_FORMAT = "l, j. F Y"  # Donnerstag, 26. November 2026
WEEKDAY_MONTH_FORMAT = "l, j. F"  # Donnerstag, 26. November
DAY_MONTH_FORMAT = "j. F"  # 26. November
DAY_SHORT_MONTH_FORMAT = "j. M"  # 26. Nov
LONG_DATE_FORMAT = "j. F Y"  # 26. November 2026
SHORT_DAY_FORMAT = "D, j. M"  # Do, 26. Nov
SHORT_DATE_FORMAT_YEAR = "j. M Y"  # 26. Nov 2026
SLOT_FORMAT = "D, j. M, H:i"  # Do, 26. Nov, 09:00
SLOT_YEAR_FORMAT = "D, j. M Y, H:i"  # Do, 26. Nov 2026, 09:00
SLOT_LONG_FORMAT = "l, j. F Y, H:i"  # Donnerstag, 26. November 2026, 09:00
DATE_TIME_SHORT_FORMAT = "j. M, H:i"  # 26. Nov, 09:00
CLOCK_FORMAT = "H:i"
CLOCK_SECONDS_FORMAT = "H:i:s"
