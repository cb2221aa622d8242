"""The console's Kafka producer, created inside the running loop by the app's lifespan."""

from __future__ import annotations

import asyncio

from aiokafka import AIOKafkaProducer

__all__ = ["KafkaLink"]


class KafkaLink:
    """The console's producer, created inside the running loop by the lifespan."""

    def __init__(self, bootstrap: str) -> None:
        self._bootstrap = bootstrap
        self._producer: AIOKafkaProducer | None = None

    @property
    def producer(self) -> AIOKafkaProducer:
        """The started producer (only valid inside the lifespan)."""
        if self._producer is None:
            raise RuntimeError("console not started")
        return self._producer

    async def start(self, attempts: int = 30) -> None:
        """Start the producer, waiting for a broker that is still starting."""
        for attempt in range(attempts):
            producer = AIOKafkaProducer(
                bootstrap_servers=self._bootstrap,
                acks="all",
                linger_ms=2,
                request_timeout_ms=5000,
                enable_idempotence=False,
            )
            try:
                await producer.start()
                self._producer = producer
                return
            except Exception:
                await producer.stop()
                if attempt == attempts - 1:
                    raise
                await asyncio.sleep(1.0)

    async def stop(self) -> None:
        """Stop the producer, flushing what it holds."""
        if self._producer is not None:
            await self._producer.stop()
            self._producer = None

    async def send(self, topic: str, value: bytes, key: bytes) -> None:
        """Send one record and wait for the broker's acknowledgement."""
        await self.producer.send_and_wait(topic, value, key=key)
