"""Row ids in addresses (``<id:room_id>``, and ``{id:room_id}`` in the API): digits that fit
a database id, else the address matches nothing (a 404). Django's ``<int:…>`` takes any
length, and SQLite raises on a number past 64 bits where PostgreSQL finds nothing: that
was a 500 on the SQLite set-up. Imported by the apps' URL confs, which registers it."""

from django.urls import register_converter

MAX_ID = 2**63 - 1


class RowId:
    regex = "[0-9]{1,19}"

    def to_python(self, value: str) -> int:
        number = int(value)
        if number > MAX_ID:
            raise ValueError("not a row id")  # Django: no match
        return number

    def to_url(self, value: int) -> str:
        return str(value)


register_converter(RowId, "id")
