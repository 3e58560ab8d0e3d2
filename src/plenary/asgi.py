import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "plenary.settings")
django_asgi_app = get_asgi_application()

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402

from plenary.core.limits import BodyLimitMiddleware  # noqa: E402
from plenary.core.socket_session import ReadOnlySessionMiddleware  # noqa: E402
from plenary.routing import websocket_urlpatterns  # noqa: E402

application = ProtocolTypeRouter(
    {
        # A body is refused (too large, or no credential where one is needed) before Django
        # reads it: Django's handler reads the whole body before any middleware runs.
        "http": BodyLimitMiddleware(django_asgi_app),
        "websocket": AllowedHostsOriginValidator(
            ReadOnlySessionMiddleware(URLRouter(websocket_urlpatterns))
        ),
    }
)
