"""Sink connectors bundled with cdchub."""
