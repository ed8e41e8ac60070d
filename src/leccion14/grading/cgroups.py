"""Grupo de control (cgroup de Linux) por sandbox: reparto justo de CPU y tope de procesos.

Con dos trabajadores en paralelo, una bomba de procesos en uno le quitaría la CPU al otro, porque
el planificador reparte por hilo. Dentro de un grupo propio, todos sus procesos juntos pesan como
uno frente a los demás grupos, y ``pids.max`` limita cuántos puede haber. Se usa la jerarquía
v1 (controladores ``cpu`` y ``pids``) o la v2 unificada, la que exista y se pueda escribir.
"""

import os
from dataclasses import dataclass
from pathlib import Path

CGROUP_ROOT = Path("/sys/fs/cgroup")
_PREFIX = "leccion14-sandbox-"


@dataclass
class SandboxGroup:
    """The cgroup folders (one per hierarchy) that a sandboxed process joins."""

    folders: list[Path]

    def procs_files(self) -> list[Path]:
        """Return the ``cgroup.procs`` file of each folder, which a process joins by writing its pid."""
        return [folder / "cgroup.procs" for folder in self.folders]

    def remove(self) -> None:
        """Remove the folders; a group that still has processes stays (rmdir fails)."""
        for folder in self.folders:
            try:
                folder.rmdir()
            except OSError:
                pass


def _write(path: Path, value: str) -> None:
    path.write_text(value, encoding="ascii")


def create_group(name: str, max_processes: int) -> SandboxGroup | None:
    """Create the group ``name`` with at most ``max_processes`` tasks; None where cgroups are unusable."""
    unified = CGROUP_ROOT / "cgroup.controllers"
    try:
        if unified.is_file():
            enabled = (CGROUP_ROOT / "cgroup.subtree_control").read_text(encoding="ascii").split()
            if "pids" not in enabled:
                return None
            folder = CGROUP_ROOT / (_PREFIX + name)
            folder.mkdir(exist_ok=True)
            _write(folder / "pids.max", str(max_processes))
            return SandboxGroup([folder])
        folders = []
        for controller in ("cpu", "pids"):
            base = CGROUP_ROOT / controller
            if not (base / "cgroup.procs").is_file() or not os.access(base, os.W_OK):
                continue
            folder = base / (_PREFIX + name)
            folder.mkdir(exist_ok=True)
            if controller == "pids":
                _write(folder / "pids.max", str(max_processes))
            folders.append(folder)
        return SandboxGroup(folders) if folders else None
    except OSError:
        return None


def remove_group(name: str) -> None:
    """Remove the group ``name`` from every hierarchy where it exists and has no processes left.

    A sandbox removes its own group when it ends; this is for one whose grading process was killed.
    """
    candidates = [CGROUP_ROOT / (_PREFIX + name), *(CGROUP_ROOT / controller / (_PREFIX + name) for controller in ("cpu", "pids"))]
    SandboxGroup([folder for folder in candidates if folder.is_dir()]).remove()
