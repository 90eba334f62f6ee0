"""What the benchmark ran on, printed in its header so figures can be compared honestly."""

from __future__ import annotations

import os
import platform
import sys
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class MachineInfo:
    """The facts that most change a throughput figure: CPU, cores, Python, filesystem."""

    cpu_model: str
    cores: int
    python: str
    system: str
    data_dir: str
    filesystem: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def describe_lines(self) -> list[str]:
        """Header lines for the printed report."""
        return [
            f"machine: {self.cpu_model}, {self.cores} cores, {self.system}",
            f"python: {self.python}",
            f"data dir: {self.data_dir} ({self.filesystem})",
        ]


def describe_machine(data_dir: Path) -> MachineInfo:
    """Collect :class:`MachineInfo` for a benchmark writing under ``data_dir``."""
    return MachineInfo(
        cpu_model=_cpu_model(),
        cores=os.cpu_count() or 1,
        python=f"{platform.python_implementation()} {sys.version.split()[0]}",
        system=f"{platform.system()} {platform.release()} {platform.machine()}",
        data_dir=str(data_dir),
        filesystem=_filesystem_of(data_dir),
    )


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def _filesystem_of(path: Path) -> str:
    """The mount (device and type) holding ``path``: the longest matching mount point wins."""
    target = str(path.resolve())
    best = ("", "unknown filesystem")
    try:
        mounts = Path("/proc/mounts").read_text().splitlines()
    except OSError:
        return best[1]
    for line in mounts:
        parts = line.split()
        if len(parts) < 3:
            continue
        device, mount_point, fs_type = parts[0], parts[1], parts[2]
        inside = target == mount_point or target.startswith(mount_point.rstrip("/") + "/")
        if inside and len(mount_point) >= len(best[0]):
            best = (mount_point, f"{fs_type} on {device}, mounted at {mount_point}")
    return best[1]
