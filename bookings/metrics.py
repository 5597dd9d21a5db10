"""What Roomclaim counts for an operator, in Prometheus' terms (prometheus-client). Each
server process counts its own; Prometheus scrapes every process (``/metrics``, see
``config.health``) and adds them up. Gauges that are facts of the database (the outbox
backlog, open waitlist offers) are read when scraped, not kept."""

from __future__ import annotations

from functools import wraps

from prometheus_client import Counter, Gauge

from config.answers import Problem

CLAIMS = Counter(
    "roomclaim_claims",
    "Claims answered, by outcome: booked, conflict (another teacher is booking), "
    "not_available (taken or closed), invalid (a rule or bad input), busy (database).",
    ["outcome"],
)
LOCK_CONFLICTS = Counter(
    "roomclaim_lock_conflicts", "Holds and claims refused because another teacher held the room."
)
LOCK_STORE_ERRORS = Counter(
    "roomclaim_lock_store_errors", "Lock store (Redis) calls that failed or timed out."
)
OPEN_SOCKETS = Gauge("roomclaim_open_sockets", "Live-update sockets open on this process.")
WAITLIST_OFFERS = Counter("roomclaim_waitlist_offers", "Freed periods offered to the first teacher waiting.")

OUTCOMES = {
    "BOOKING_CONFLICT": "conflict",
    "ROOM_NOT_AVAILABLE": "not_available",
    "ROOM_NOT_FOUND": "not_available",
    "INVALID_INPUT": "invalid",
    "SERVICE_BUSY": "busy",
    "OUTCOME_UNKNOWN": "busy",
}


def claim_answered(code: str | None) -> None:
    """Count a claim by its answer: ``None`` for booked, else the error code."""
    CLAIMS.labels(outcome="booked" if code is None else OUTCOMES.get(code, "other")).inc()


def counts_claims(view):
    """Count each answer of a claim view: booked, or the code of the problem it raised."""

    @wraps(view)
    def counted(request, *args, **kwargs):
        try:
            response = view(request, *args, **kwargs)
        except Problem as problem:
            claim_answered(problem.code)
            raise
        claim_answered(None)
        return response

    return counted
