"""The live channel: every teacher page keeps one socket open here."""

from channels.generic.websocket import AsyncJsonWebsocketConsumer

from .events import ALL_TEACHERS, teacher_group


class BookingConsumer(AsyncJsonWebsocketConsumer):
    async def connect(self):
        user = self.scope.get("user")
        if user is None or not user.is_authenticated or not user.is_active:
            await self.close(code=4401)
            return
        self.groups_joined = [ALL_TEACHERS, teacher_group(user.pk)]
        for group in self.groups_joined:
            await self.channel_layer.group_add(group, self.channel_name)
        await self.accept()

    async def disconnect(self, code):
        for group in getattr(self, "groups_joined", []):
            await self.channel_layer.group_discard(group, self.channel_name)

    async def receive_json(self, content, **kwargs):
        if content.get("event") == "ping":
            await self.send_json({"event": "pong"})

    async def booking_created(self, message):
        await self.send_json({"event": "bookingCreated", "data": message["data"]})

    async def booking_cancelled(self, message):
        await self.send_json({"event": "bookingCancelled", "data": message["data"]})

    async def booking_conflict(self, message):
        await self.send_json({"event": "bookingConflict", "data": message["data"]})

    async def room_available(self, message):
        await self.send_json({"event": "roomAvailable", "data": message["data"]})
