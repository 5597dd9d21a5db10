"""One set of lock tests, run against the in-process store and against Redis."""

import threading
import time

import pytest
from django.conf import settings

from bookings import locks
from tests.factories import at

START, END = at(10), at(11)


class LockStoreContract:
    """The lock rules every store must keep. Subclasses provide ``store``."""

    @pytest.fixture
    def use_store(self, store, monkeypatch):
        store.clear()
        monkeypatch.setattr(locks, "store", lambda: store)
        yield store
        store.clear()

    def acquire(self, teacher_id, ttl=None, start=START, end=END):
        return locks.acquire(room_id=7, start=start, end=end, teacher_id=teacher_id, ttl=ttl)

    def test_first_teacher_gets_the_lock_for_the_configured_time(self, use_store):
        before = time.time()
        attempt = self.acquire(1)
        assert attempt.acquired
        assert attempt.lock.holder_id == 1
        lifetime = attempt.lock.expires_at.timestamp() - before
        assert settings.BOOKING_LOCK_SECONDS - 1 <= lifetime <= settings.BOOKING_LOCK_SECONDS + 1

    def test_second_teacher_is_refused_and_told_who_holds_it(self, use_store):
        self.acquire(1)
        attempt = self.acquire(2)
        assert not attempt.acquired
        assert attempt.lock.holder_id == 1

    def test_holder_may_acquire_again(self, use_store):
        first = self.acquire(1, ttl=5)
        again = self.acquire(1, ttl=20)
        assert again.acquired
        assert again.lock.expires_at > first.lock.expires_at

    def test_other_periods_of_the_same_room_are_separate_locks(self, use_store):
        self.acquire(1)
        assert self.acquire(2, start=at(11), end=at(12)).acquired
        assert self.acquire(3, start=at(10), end=at(12)).acquired

    def test_only_the_holder_releases(self, use_store):
        self.acquire(1)
        assert not locks.release(room_id=7, start=START, end=END, teacher_id=2).released
        assert not self.acquire(2).acquired
        assert locks.release(room_id=7, start=START, end=END, teacher_id=1).released
        assert self.acquire(2).acquired

    def test_expired_lock_no_longer_blocks(self, use_store):
        self.acquire(1, ttl=0.2)
        time.sleep(0.3)  # past the lock's lifetime: expiry is the store's guarantee
        attempt = self.acquire(2)
        assert attempt.acquired
        assert attempt.lock.holder_id == 2

    def test_active_locks_lists_holder_room_and_period(self, use_store):
        self.acquire(1)
        self.acquire(2, start=at(12), end=at(13))
        active = locks.active_locks()
        assert [(lock.room_id, lock.holder_id, lock.start, lock.end) for lock in active] == [
            (7, 1, START, END),
            (7, 2, at(12), at(13)),
        ]

    def test_cleanup_counts_expired_locks_only(self, use_store):
        self.acquire(1, ttl=0.2)
        self.acquire(2, ttl=0.2, start=at(12), end=at(13))
        self.acquire(3, start=at(14), end=at(15))
        time.sleep(0.3)
        assert locks.cleanup_expired() == 2
        assert locks.cleanup_expired() == 0
        assert [lock.holder_id for lock in locks.active_locks()] == [3]

    def test_concurrent_acquires_have_exactly_one_winner(self, use_store):
        barrier = threading.Barrier(16)
        results = []

        def contend(teacher_id):
            barrier.wait()
            results.append(self.acquire(teacher_id).acquired)

        threads = [threading.Thread(target=contend, args=(n,)) for n in range(1, 17)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert sorted(results) == [False] * 15 + [True]

    # The line: waiting for a lock someone else holds.

    def wait(self, teacher_id, ttl=None):
        return locks.acquire(room_id=7, start=START, end=END, teacher_id=teacher_id, ttl=ttl, wait=True)

    def release(self, teacher_id, booked=False):
        return locks.release(room_id=7, start=START, end=END, teacher_id=teacher_id, booked=booked)

    def test_waiters_get_their_place_in_line_and_keep_it_when_asking_again(self, use_store):
        self.acquire(1)
        assert [self.wait(n).position for n in (2, 3, 4)] == [1, 2, 3]
        again = self.wait(3)
        assert (again.acquired, again.position, again.lock.holder_id) == (False, 2, 1)

    def test_a_free_lock_is_simply_taken_by_a_waiter(self, use_store):
        attempt = self.wait(2)
        assert attempt.acquired and attempt.position == 0 and attempt.handed_to is None

    def test_a_released_lock_passes_straight_to_the_first_in_line_in_order(self, use_store):
        self.acquire(1)
        for teacher_id in (2, 3, 4):
            self.wait(teacher_id)
        holders = []
        for teacher_id in (1, 2, 3, 4):
            let_go = self.release(teacher_id)
            assert let_go.released
            holders.append(let_go.passed_to.holder_id if let_go.passed_to else None)
            if let_go.passed_to:
                assert not self.acquire(99).acquired  # no gap for anyone else
        assert holders == [2, 3, 4, None]
        assert self.acquire(99).acquired

    def test_a_waiter_who_leaves_is_skipped(self, use_store):
        self.acquire(1)
        self.wait(2)
        self.wait(3)
        assert not self.release(2).released  # leaving the line: nothing held, place given up
        assert self.release(1).passed_to.holder_id == 3

    def test_an_expired_hold_goes_to_the_first_in_line_whoever_asks(self, use_store):
        self.acquire(1, ttl=0.2)
        self.wait(2)
        self.wait(3)
        time.sleep(0.3)  # past the holder's lifetime: expiry is the store's guarantee
        intruder = self.acquire(99)
        assert not intruder.acquired
        assert intruder.handed_to.holder_id == 2 and intruder.lock.holder_id == 2
        assert self.wait(2).acquired  # the new holder asking again renews, keeps no place

    def test_the_sweeper_hands_expired_holds_to_the_line(self, use_store):
        self.acquire(1, ttl=0.2)
        self.wait(2)
        time.sleep(0.3)
        [handed] = locks.hand_over_free()
        assert (handed.room_id, handed.holder_id, handed.start, handed.end) == (7, 2, START, END)
        assert locks.hand_over_free() == []
        assert not self.acquire(99).acquired

    def test_booking_empties_the_line_and_names_the_waiters(self, use_store):
        self.acquire(1)
        self.wait(2)
        self.wait(3)
        let_go = self.release(1, booked=True)
        assert (let_go.released, let_go.passed_to, let_go.waiting) == (True, None, (2, 3))
        assert self.wait(4).acquired  # the line is gone

    def test_concurrent_waiters_each_get_a_different_place(self, use_store):
        self.acquire(1)
        barrier = threading.Barrier(12)
        places = {}

        def join(teacher_id):
            barrier.wait()
            places[teacher_id] = self.wait(teacher_id).position

        threads = [threading.Thread(target=join, args=(n,)) for n in range(2, 14)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert sorted(places.values()) == list(range(1, 13))
        in_line_order = sorted(places, key=places.get)
        passed = [self.release(holder).passed_to.holder_id for holder in [1, *in_line_order[:-1]]]
        assert passed == in_line_order


class HoldBoundsContract:
    """A dialog's hold has bounds (``rules``); the claim's own lock has none."""

    def hold(self, teacher_id, hour=10, rules=None, wait=False, ttl=None):
        rules = rules or locks.HoldRules(most=2, limit=0, cooldown=0)
        return locks.acquire(
            room_id=7,
            start=at(hour),
            end=at(hour + 1),
            teacher_id=teacher_id,
            rules=rules,
            wait=wait,
            ttl=ttl,
        )

    def test_a_teacher_holds_at_most_the_bound_at_once(self, use_store):
        assert self.hold(1, 10).acquired and self.hold(1, 12).acquired
        third = self.hold(1, 14)
        assert not third.acquired and third.refused == locks.TOO_MANY_HOLDS
        assert self.hold(1, 12).acquired  # renewing one held is no new hold
        assert self.hold(2, 14).acquired  # the bound is the teacher's, not the room's
        locks.release(room_id=7, start=at(10), end=at(11), teacher_id=1)
        assert self.hold(1, 16).acquired

    def test_renewals_stop_at_the_limit_and_the_teacher_cools_off(self, use_store):
        rules = locks.HoldRules(most=2, limit=0.6, cooldown=0.6)
        first = self.hold(1, rules=rules)
        assert first.acquired and first.lock.expires_at.timestamp() - time.time() <= 0.6
        time.sleep(0.4)
        assert self.hold(1, rules=rules).acquired  # renewed, but never past the limit
        time.sleep(0.25)  # past the limit: the lock has expired by itself
        again = self.hold(1, rules=rules)
        assert not again.acquired and again.refused == locks.HELD_TOO_LONG
        taken = self.hold(2, rules=rules)
        assert taken.acquired  # a colleague's turn
        locks.release(room_id=7, start=at(10), end=at(11), teacher_id=2)
        assert self.hold(1, rules=rules).refused == locks.HELD_TOO_LONG  # still cooling off

    def test_a_renewal_after_a_whole_holds_time_yields_to_the_line_but_a_claim_does_not(self, use_store):
        assert self.hold(1, ttl=0.3).acquired
        assert self.hold(2, wait=True, ttl=0.3).position == 1
        time.sleep(0.2)
        assert self.hold(1, ttl=0.3).acquired  # renewed within a hold's time: still the holder's
        assert locks.acquire(room_id=7, start=at(10), end=at(11), teacher_id=1, ttl=0.3).acquired  # a claim
        time.sleep(0.15)  # held 0.35 s now, longer than a hold lasts
        renewed = self.hold(1, ttl=0.3)
        assert not renewed.acquired
        assert renewed.handed_to is not None and renewed.handed_to.holder_id == 2
        assert self.hold(2, ttl=0.3).acquired  # the lock handed over is the new holder's hold


class TestLocalLockStore(LockStoreContract, HoldBoundsContract):
    @pytest.fixture
    def store(self):
        return locks.LocalLockStore()


@pytest.mark.postgres
class TestRedisLockStore(LockStoreContract, HoldBoundsContract):
    @pytest.fixture
    def store(self):
        return locks.RedisLockStore(settings.REDIS_URL)
