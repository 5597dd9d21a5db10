"""Locks in Redis, shared by every server process: each of acquire and release is one Lua
script, so one round trip and atomic; expiry is Redis's own TTL."""

from __future__ import annotations

import time

import redis
from django.conf import settings

from .base import (
    COOLING_PREFIX,
    HOLDS_PREFIX,
    KEY_PREFIX,
    LINE_IDLE_SECONDS,
    LINE_PREFIX,
    LINES_KEY,
    NO_RULES,
    REGISTRY_KEY,
    Freed,
    Granted,
    Held,
    HoldRules,
    line_key,
    lock_key_of,
)

# Every script: KEYS lock, registry, line, lines (the set of lines that have waiters).
_HELPERS = """
local lock, registry, line, lines = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local function take(holder, ttl, now)
  redis.call('SET', lock, holder, 'PX', ttl)
  redis.call('ZADD', registry, now + ttl, lock)
  return now + ttl
end
local function next_in_line()
  local head = redis.call('LPOP', line)
  if redis.call('LLEN', line) == 0 then redis.call('SREM', lines, line) end
  return head
end
"""

# KEYS[5]: the holder's holds (lock -> holding since, ms); KEYS[6]: this lock's cool-off.
# ARGV: holder, ttl (ms), now (ms), wait (0/1), idle line ttl (ms), the hold's bounds: most
# holds per teacher (0: not a hold), limit (ms, 0: none), cool-off (ms).
# Returns {acquired (0/1), holder, expiry (ms), handed to the first in line (0/1), position,
# refused by a bound (0, 1 too many holds, 2 held too long)}.
_ACQUIRE = (
    _HELPERS
    + """
local me, ttl, now = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3])
local holds, cooling = KEYS[5], KEYS[6]
local most, limit, cooloff = tonumber(ARGV[6]), tonumber(ARGV[7]), tonumber(ARGV[8])
local current = redis.call('GET', lock)
local expiry, handed = 0, 0
local renewing = current == me
local held_since = tonumber(redis.call('ZSCORE', holds, lock))
if renewing and most > 0 and held_since and now - held_since >= ttl and redis.call('LLEN', line) > 0 then
  -- a renewal after a whole hold's time yields to the line (a hold just handed over from
  -- the line, or an offer's, is no such renewal)
  redis.call('ZREM', holds, lock)
  current = next_in_line()
  expiry = take(current, ttl, now)
  handed, renewing = 1, false
elseif current then
  expiry = now + redis.call('PTTL', lock)
else
  local head = redis.call('LINDEX', line, 0)
  if head and head ~= me then
    current = next_in_line()
    expiry = take(current, ttl, now)
    handed = 1
  else
    if head then next_in_line() end
    current = me
  end
end
if current == me then
  if most > 0 then
    local cooled = tonumber(redis.call('GET', cooling))
    if cooled and now >= cooled then return {0, 0, 0, handed, 0, 2} end
    local since = held_since
    if renewing and not since then
      -- a lock that came to this teacher from the line or as an offer: a hold from now
      since = now
      redis.call('ZADD', holds, now, lock)
    end
    if not renewing then
      local mine = 0
      for _, held in ipairs(redis.call('ZRANGE', holds, 0, -1)) do
        if redis.call('GET', held) == me then mine = mine + 1 else redis.call('ZREM', holds, held) end
      end
      if mine >= most then return {0, 0, 0, handed, 0, 1} end
      since = now
      redis.call('ZADD', holds, now, lock)
    end
    -- the teacher's holds outlive their last hold by its limit, no more
    redis.call('PEXPIRE', holds, math.max(limit, ttl) + cooloff)
    if limit > 0 then
      -- held until the limit at most, then a cool-off for this teacher
      ttl = math.min(ttl, since + limit - now)
      redis.call('SET', cooling, since + limit)
      redis.call('PEXPIREAT', cooling, since + limit + cooloff)
    end
  end
  return {1, me, take(me, ttl, now), handed, 0, 0}
end
local position = 0
if ARGV[4] == '1' then
  position = redis.call('LPOS', line, me)
  if not position then
    position = redis.call('RPUSH', line, me) - 1
    redis.call('SADD', lines, line)
  end
  position = position + 1
  redis.call('PEXPIRE', line, ARGV[5])
end
return {0, current, expiry, handed, position, 0}
"""
)

# KEYS[5], KEYS[6]: the holder's holds, the lock's cool-off (given up in time: none).
# ARGV: holder, ttl (ms), now (ms), booked (0/1). Only the
# holder releases the lock; the caller also leaves the line. Booked: the line is emptied
# and returned. Otherwise a free lock passes to the first in line.
# Returns {released (0/1), next holder (0: none), its expiry (ms), {waiters told it is taken}}.
_RELEASE = (
    _HELPERS
    + """
local me, ttl, now = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3])
local released = 0
if redis.call('GET', lock) == me then
  redis.call('DEL', lock)
  redis.call('ZREM', registry, lock)
  released = 1
end
redis.call('ZREM', KEYS[5], lock)
if released == 1 then redis.call('DEL', KEYS[6]) end
redis.call('LREM', line, 0, me)
if ARGV[4] == '1' then
  local waiting = redis.call('LRANGE', line, 0, -1)
  redis.call('DEL', line)
  redis.call('SREM', lines, line)
  return {released, 0, 0, waiting}
end
if redis.call('EXISTS', lock) == 0 then
  local head = next_in_line()
  if head then return {released, head, take(head, ttl, now), {}} end
end
if redis.call('LLEN', line) == 0 then redis.call('SREM', lines, line) end
return {released, 0, 0, {}}
"""
)

# ARGV: ttl (ms), now (ms). A line whose lock is free: its first waiter gets the lock.
# Returns {holder (0: none), expiry (ms)}.
_HAND_OVER = (
    _HELPERS
    + """
if redis.call('EXISTS', lock) == 1 then return {0, 0} end
local head = next_in_line()
if not head then return {0, 0} end
return {head, take(head, tonumber(ARGV[1]), tonumber(ARGV[2]))}
"""
)


class RedisLockStore:
    """Locks in Redis, shared by every server process; expiry is Redis's own TTL."""

    def __init__(self, url: str) -> None:
        self._redis = redis.Redis.from_url(
            url, socket_timeout=settings.REDIS_TIMEOUT, socket_connect_timeout=settings.REDIS_TIMEOUT
        )
        self._acquire = self._redis.register_script(_ACQUIRE)
        self._release = self._redis.register_script(_RELEASE)
        self._hand_over = self._redis.register_script(_HAND_OVER)

    @staticmethod
    def _keys(key: str, holder_id: int | None = None) -> list[str]:
        keys = [key, REGISTRY_KEY, line_key(key), LINES_KEY]
        if holder_id is not None:
            keys += [
                f"{HOLDS_PREFIX}{holder_id}",
                f"{COOLING_PREFIX}{holder_id}:{key.removeprefix(KEY_PREFIX)}",
            ]
        return keys

    def acquire(
        self, key: str, holder_id: int, ttl: float, wait: bool = False, rules: HoldRules = NO_RULES
    ) -> Granted:
        now_ms = int(time.time() * 1000)
        bounds = [rules.most, int(rules.limit * 1000), int(rules.cooldown * 1000)]
        ok, holder, expiry_ms, handed, position, refused = self._acquire(
            keys=self._keys(key, holder_id),
            args=[holder_id, int(ttl * 1000), now_ms, int(wait), LINE_IDLE_SECONDS * 1000, *bounds],
        )
        return Granted(bool(ok), int(holder), expiry_ms / 1000, bool(handed), position, refused)

    def release(self, key: str, holder_id: int, ttl: float, booked: bool) -> Freed:
        now_ms = int(time.time() * 1000)
        released, holder, expiry_ms, waiting = self._release(
            keys=self._keys(key, holder_id), args=[holder_id, int(ttl * 1000), now_ms, int(booked)]
        )
        return Freed(bool(released), int(holder), expiry_ms / 1000, tuple(int(waiter) for waiter in waiting))

    def hand_over_free(self, ttl: float) -> list[Held]:
        handed = []
        for line in self._redis.smembers(LINES_KEY):
            key = lock_key_of(line.decode())
            holder, expiry_ms = self._hand_over(
                keys=self._keys(key), args=[int(ttl * 1000), int(time.time() * 1000)]
            )
            if int(holder):
                handed.append(Held(key, int(holder), expiry_ms / 1000))
        return handed

    def active(self) -> list[Held]:
        now_ms = int(time.time() * 1000)
        entries = self._redis.zrangebyscore(REGISTRY_KEY, now_ms, "+inf", withscores=True)
        if not entries:
            return []
        holders = self._redis.mget([key for key, _ in entries])
        return [
            Held(key.decode(), int(holder), score / 1000)
            for (key, score), holder in zip(entries, holders, strict=True)
            if holder is not None
        ]

    def sweep(self) -> int:
        now_ms = int(time.time() * 1000)
        return self._redis.zremrangebyscore(REGISTRY_KEY, "-inf", now_ms)

    def clear(self) -> None:
        keys = [
            key
            for prefix in (KEY_PREFIX, LINE_PREFIX, HOLDS_PREFIX, COOLING_PREFIX)
            for key in self._redis.scan_iter(match=f"{prefix}*", count=1000)
        ]
        self._redis.delete(REGISTRY_KEY, LINES_KEY, *keys)
