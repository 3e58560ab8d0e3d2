from channels.generic.websocket import AsyncWebsocketConsumer


class SupportChatConsumer(AsyncWebsocketConsumer):
    async def connect(self):
        await self.close(code=4403)
