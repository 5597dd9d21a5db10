"""Our named formats for German (see ``config/formats/en/formats.py``). Abbreviations as
German writes them: "Do., 3. Dez.", but "Mai" and "Juni" in full (``N``)."""

DAY_FORMAT = "l, j. F Y"  # Donnerstag, 26. November 2026
WEEKDAY_MONTH_FORMAT = "l, j. F"  # Donnerstag, 26. November
DAY_MONTH_FORMAT = "j. F"  # 26. November
DAY_SHORT_MONTH_FORMAT = "j. N"  # 26. Nov.
LONG_DATE_FORMAT = "j. F Y"  # 26. November 2026
SHORT_DAY_FORMAT = "D., j. N"  # Do., 26. Nov.
SHORT_DATE_FORMAT_YEAR = "j. N Y"  # 26. Nov. 2026
SLOT_FORMAT = "D., j. N, H:i"  # Do., 26. Nov., 09:00
SLOT_YEAR_FORMAT = "D., j. N Y, H:i"  # Do., 26. Nov. 2026, 09:00
SLOT_LONG_FORMAT = "l, j. F Y, H:i"  # Donnerstag, 26. November 2026, 09:00
DATE_TIME_SHORT_FORMAT = "j. N, H:i"  # 26. Nov., 09:00
CLOCK_FORMAT = "H:i"
CLOCK_SECONDS_FORMAT = "H:i:s"
# German writes its nouns capitalised, in a sentence too: "Weihnachtsferien (Ferien)".
LOWERCASE_NOUNS = False
