"""The embedded log vs Redis Streams vs the raw disk: the same run as ``hub bench log``.

Usage: ``python benchmarks/log_bench.py [--records N] [--runs N] [--no-redis] ...``
(``--help`` lists every option). Prints the table on stdout and progress on stderr; see
benchmarks/README.md. The options live in one place, :mod:`hub.cli.bench`.
"""

from __future__ import annotations

from hub.cli.bench import log

if __name__ == "__main__":
    log.main(prog_name="benchmarks/log_bench.py")
