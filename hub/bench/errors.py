"""The one error the benchmark raises itself."""


class BenchError(RuntimeError):
    """The benchmark cannot run as asked; the message says what to change."""
