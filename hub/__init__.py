"""cdchub: capture a dataset once, keep it on a durable log, deliver it to many systems."""

__version__ = "0.1.0"
