"""Kafka plumbing under the stages, apart from the pure core: Faust's consumer made
at-least-once and quick to fetch (``faust_tuning``), true end offsets (``offsets``), the
intake's batch consumer (``batch_consumer``) and table changelogs sent by the agents
themselves (``changelog``)."""
