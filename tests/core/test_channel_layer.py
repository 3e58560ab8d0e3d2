"""With REDIS_URL, the channel layer is Redis pub/sub (several workers share news)."""

import asyncio
import os
from concurrent.futures import ThreadPoolExecutor

import pytest
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

    # A thread of its own: the browser tests keep an event loop running in this one.
    with ThreadPoolExecutor(max_workers=1) as pool:
        assert pool.submit(asyncio.run, round_trip()).result(timeout=10) == {
            "type": "snapshot",
            "version": 7,
        }
