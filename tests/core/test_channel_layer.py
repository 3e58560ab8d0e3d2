"""With REDIS_URL, the channel layer is Redis pub/sub (several workers share news)."""

import os

import pytest
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer

REDIS_URL = os.environ.get("PLENARY_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


@pytest.fixture
def redis_layer(settings):
    settings.CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
            "CONFIG": {"hosts": [REDIS_URL]},
        }
    }
    from channels.layers import channel_layers

    channel_layers.backends.clear()
    yield get_channel_layer()
    channel_layers.backends.clear()


def test_group_message_crosses_redis(redis_layer):
    async def round_trip():
        channel = await redis_layer.new_channel()
        await redis_layer.group_add("floor-vcc-2", channel)
        await redis_layer.group_send("floor-vcc-2", {"type": "snapshot", "version": 7})
        message = await redis_layer.receive(channel)
        await redis_layer.group_discard("floor-vcc-2", channel)
        await redis_layer.flush()
        return message

    assert async_to_sync(round_trip)() == {"type": "snapshot", "version": 7}
