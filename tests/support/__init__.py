"""Test doubles shared by the test suite (in-memory SDK contexts)."""
