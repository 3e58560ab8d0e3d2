"""WebSocket routes."""

from django.urls import path

from plenary.floor.consumers import FloorConsumer

websocket_urlpatterns: list = [
    path("ws/consultations/<slug:slug>/floor/", FloorConsumer.as_asgi()),
]
