"""WebSocket routes."""

from django.urls import path

from plenary.floor.consumers import FloorConsumer
from plenary.remote.consumers import SupportChatConsumer

websocket_urlpatterns: list = [
    path("ws/consultations/<slug:slug>/floor/", FloorConsumer.as_asgi()),
    path("ws/consultations/<slug:slug>/support/<int:request_id>/", SupportChatConsumer.as_asgi()),
]
