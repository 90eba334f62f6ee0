"""Confluent-compatible schema registry stored on the log."""
