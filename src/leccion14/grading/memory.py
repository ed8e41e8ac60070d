"""Memoria que aún puede usar este proceso: la libre de la máquina y la que deja su cgroup.

Gradescope limita cada contenedor con un cgroup (768 MB por defecto); una máquina propia suele
tener mucha más. ``available_memory`` devuelve el menor de los dos márgenes, para que el
autocorrector solo use más memoria donde la hay.
"""

from pathlib import Path

from .cgroups import CGROUP_ROOT

# cgroup v1 writes this (or more) for a group without a limit.
_V1_UNLIMITED = 1 << 62


def available_memory(proc: Path = Path("/proc"), cgroup_root: Path = CGROUP_ROOT) -> int | None:
    """Return the bytes this process may still allocate, or None if neither the machine nor a cgroup reports it.

    It is the smallest of ``MemAvailable`` and, for each memory limit of this process's cgroups
    and their parents (v1 or v2), the limit minus what the group uses now.
    """
    margins = []
    machine = _meminfo_available(proc / "meminfo")
    if machine is not None:
        margins.append(machine)
    for folder, limit_name, usage_name in _memory_groups(proc / "self" / "cgroup", cgroup_root):
        limit, usage = _read_number(folder / limit_name), _read_number(folder / usage_name)
        if limit is not None and limit < _V1_UNLIMITED:
            margins.append(max(limit - (usage or 0), 0))
    return min(margins) if margins else None


def _meminfo_available(meminfo: Path) -> int | None:
    try:
        lines = meminfo.read_text(encoding="ascii").splitlines()
    except OSError:
        return None
    for line in lines:
        name, _, value = line.partition(":")
        if name == "MemAvailable" and value.split():
            return int(value.split()[0]) * 1024
    return None


def _memory_groups(proc_cgroup: Path, cgroup_root: Path) -> list[tuple[Path, str, str]]:
    """Return (folder, limit file, usage file) for each memory cgroup of this process and its parents.

    The path in ``/proc/self/cgroup`` may be the host's while ``cgroup_root`` shows only the
    container's own group; the root of each hierarchy is therefore always included.
    """
    try:
        lines = proc_cgroup.read_text(encoding="ascii").splitlines()
    except OSError:
        return []
    groups = []
    for line in lines:
        fields = line.split(":", 2)
        if len(fields) != 3:
            continue
        _, controllers, path = fields
        if controllers == "":
            base, names = cgroup_root, ("memory.max", "memory.current")
        elif "memory" in controllers.split(","):
            base, names = cgroup_root / "memory", ("memory.limit_in_bytes", "memory.usage_in_bytes")
        else:
            continue
        folder = base / path.strip("/")
        for candidate in (folder, *folder.parents):
            if candidate.is_relative_to(base) and (candidate / names[0]).is_file():
                groups.append((candidate, *names))
            if candidate == base:
                break
    return groups


def _read_number(path: Path) -> int | None:
    try:
        text = path.read_text(encoding="ascii").strip()
    except OSError:
        return None
    return int(text) if text.isdigit() else None
