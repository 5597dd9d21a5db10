"""How a word stands in a sentence, by the language of the moment."""

from django.utils import formats


def noun_in_sentence(noun: str) -> str:
    """A noun (a choice's label) inside a sentence: "Christmas holidays (holiday)" in
    English, but "Weihnachtsferien (Ferien)" in German, which capitalises its nouns (each
    language's ``LOWERCASE_NOUNS`` in ``config/formats``)."""
    return str(noun).lower() if formats.get_format("LOWERCASE_NOUNS") is True else str(noun)
