"""What the teachers app tells the apps that build on it, without knowing them."""

from django.dispatch import Signal

# A teacher left the school (the staff import deactivated them). Sent with ``teacher`` and
# ``by`` (the member of staff the change is made as, or None); each receiver answers with
# a sentence for the import's report (what it did for that teacher), or "" for nothing.
teacher_left = Signal()
