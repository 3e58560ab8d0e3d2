"""WebSocket routes. The live floor adds /ws/consultations/<slug>/floor/ here."""

websocket_urlpatterns: list = []
