"""The worker runtime: task loops, offsets, retries, dead letter queue, status."""
