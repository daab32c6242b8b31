"""The sandbox's limits: one dataclass of defaults, and applying them as rlimits in the child."""

from __future__ import annotations

import resource
from dataclasses import asdict, dataclass, field, fields
from typing import Any


def memory_budget_mb(cap: int = 1024) -> int:
    """RLIMIT_AS for student code: at most `cap`, and at most 60% of the memory this machine or
    container may use (Gradescope's default container has 768 MB: the grader must survive a
    student's memory bomb, so the child must fail first)."""
    limits = []
    for path in ("/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"):
        try:
            text = open(path).read().strip()
        except OSError:
            continue
        if text.isdigit() and int(text) < 1 << 50:
            limits.append(int(text))
    try:
        import os

        limits.append(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES"))
    except (ValueError, OSError, AttributeError):
        pass
    if not limits:
        return cap
    return max(256, min(cap, int(min(limits) * 0.6) // (1024 * 1024)))


@dataclass
class SandboxConfig:
    """Limits and isolation settings; every field is documented in docs/sandbox.md."""

    call_timeout: float = 5.0          # wall-clock seconds per function call
    import_timeout: float = 10.0       # wall-clock seconds to import a submitted module
    submission_timeout: float = 60.0   # wall-clock seconds spent in the sandbox per submission
    cpu_seconds: int = 60              # RLIMIT_CPU of each sandbox process
    memory_mb: int = field(default_factory=memory_budget_mb)  # RLIMIT_AS (numpy included)
    max_procs: int = 32                # RLIMIT_NPROC (only with a per-child uid, i.e. as root)
    max_file_mb: int = 16              # RLIMIT_FSIZE: largest file the student may write
    max_open_files: int = 64           # RLIMIT_NOFILE
    max_output_kb: int = 1024          # stdout+stderr captured per sandbox process, then killed
    max_message_mb: int = 16           # largest protocol frame (a returned value)
    max_source_kb: int = 1024          # largest submitted .py file
    max_restarts: int = 20             # re-spawns after a crash/timeout, per submission
    network: bool = False              # False: a new, empty network namespace where allowed
    user: str | None = None            # None: a fresh uid per child (leased, see users.py); or a name/uid
    uid_base: int = 1_000_000
    hide_paths: list[str] = field(default_factory=list)  # folders the student may never read
    chmod_fallback: bool = True        # root without mount namespaces: chmod o-rwx hide_paths

    def to_data(self) -> dict[str, Any]:
        """Plain JSON data: how the config reaches the fork server and the child."""
        return asdict(self)

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> "SandboxConfig":
        """The config back from to_data(); unknown keys are ignored, so older data still loads."""
        names = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in names})

    def replace(self, **changes: Any) -> "SandboxConfig":
        """A copy with ``changes`` (a deep copy: sessions extend hide_paths of their own)."""
        return SandboxConfig.from_data({**self.to_data(), **changes})


def apply_rlimits(config: SandboxConfig, own_uid: bool) -> list[str]:
    """Set the child's rlimits (soft = hard, so the student cannot raise them back).

    RLIMIT_NPROC counts every process of the real uid, so it is only meaningful when the child
    has a uid of its own. Returns warnings for limits the OS refused.
    """
    mb = 1024 * 1024
    wanted = [
        ("RLIMIT_CPU", (config.cpu_seconds, config.cpu_seconds + 1)),
        ("RLIMIT_AS", (config.memory_mb * mb,) * 2),
        ("RLIMIT_FSIZE", (config.max_file_mb * mb,) * 2),
        ("RLIMIT_NOFILE", (config.max_open_files,) * 2),
        ("RLIMIT_CORE", (0, 0)),
    ]
    if own_uid:
        wanted.append(("RLIMIT_NPROC", (config.max_procs,) * 2))
    warnings = []
    for name, value in wanted:
        try:
            resource.setrlimit(getattr(resource, name), value)
        except (ValueError, OSError) as exc:
            warnings.append(f"could not set {name}: {exc}")
    return warnings
