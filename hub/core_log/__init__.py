"""The embedded partitioned durable log, stored on disk the way Kafka stores it.

This package imports nothing else from the project, so it can be reused (and
reasoned about) on its own.
"""
