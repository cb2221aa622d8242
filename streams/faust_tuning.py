"""Adjustments to Faust's Kafka consumer that its settings do not expose.

Faust hard-codes ``fetch_max_wait_ms=1500`` for its group consumer. Against a broker that
answers a fetch only when the wait expires if no data was there at request time (Tansu 0.6
does this), every hop then costs up to 1.5 s — three hops made a 119 call take 1.5 s to
reach the console. A short wait costs a few more idle fetch requests and nothing else.
"""

from __future__ import annotations

from typing import Any

from faust.transport.drivers import aiokafka as faust_aiokafka

_original = faust_aiokafka.AIOKafkaConsumerThread._create_worker_consumer
_state = {"fetch_max_wait_ms": 1500}


def _create_worker_consumer(self: Any, transport: Any) -> Any:
    consumer = _original(self, transport)
    consumer._fetch_max_wait_ms = _state["fetch_max_wait_ms"]
    return consumer


def set_fetch_max_wait_ms(value: int) -> None:
    """Make Faust's group consumers long-poll for at most ``value`` ms."""
    _state["fetch_max_wait_ms"] = value
    setattr(  # noqa: B010 - replacing a method Faust gives no setting for
        faust_aiokafka.AIOKafkaConsumerThread, "_create_worker_consumer", _create_worker_consumer
    )
