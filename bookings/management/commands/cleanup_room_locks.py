"""``cleanup_room_locks``: the contract's name for ``sweep``, kept for every deployment and
script that calls it (docs/interface.md)."""

from .sweep import Command

__all__ = ["Command"]
