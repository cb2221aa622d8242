"""The console service: REST API, WebSocket hub, ingest endpoints, the operator pages."""

__all__: list[str] = []
