"""Running GoldenTime: settings, the embedded broker and cache, process supervision, CLI."""

from stack.settings import Settings

__all__ = ["Settings"]
