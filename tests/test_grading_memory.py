"""Free memory for the grader: the machine's and each cgroup's, v1 and v2, on fake /proc and cgroup trees."""

from pathlib import Path

from leccion14.grading.memory import available_memory

GIB = 1024**3
MIB = 1024**2


def fake_system(tmp_path: Path, cgroup_lines: str, files: dict[str, int | str], mem_available: int | None = 20 * GIB) -> tuple[Path, Path]:
    proc, cgroups = tmp_path / "proc", tmp_path / "cgroup"
    (proc / "self").mkdir(parents=True)
    cgroups.mkdir()
    if mem_available is not None:
        (proc / "meminfo").write_text(f"MemTotal:       25000000 kB\nMemAvailable:   {mem_available // 1024} kB\n", encoding="ascii")
    (proc / "self" / "cgroup").write_text(cgroup_lines, encoding="ascii")
    for relative, value in files.items():
        path = cgroups / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f"{value}\n", encoding="ascii")
    return proc, cgroups


def test_gradescope_like_v2_container(tmp_path):
    # Docker with a cgroup namespace: the container's own group is the root of the mounted tree.
    proc, cgroups = fake_system(tmp_path, "0::/\n", {"memory.max": 768 * 1000**2, "memory.current": 100 * MIB})
    assert available_memory(proc, cgroups) == 768 * 1000**2 - 100 * MIB


def test_v1_host_path_not_visible(tmp_path):
    # The path names the host's group, but only the container's group is mounted.
    lines = "4:memory:/docker/abc123\n3:cpu,cpuacct:/docker/abc123\n0::/\n"
    proc, cgroups = fake_system(tmp_path, lines, {"memory/memory.limit_in_bytes": GIB, "memory/memory.usage_in_bytes": 200 * MIB})
    assert available_memory(proc, cgroups) == GIB - 200 * MIB


def test_tightest_parent_wins(tmp_path):
    files = {
        "grupo/memory.max": 2 * GIB,
        "grupo/memory.current": 50 * MIB,
        "grupo/hijo/memory.max": 4 * GIB,
        "grupo/hijo/memory.current": 10 * MIB,
    }
    # The child allows 4 GiB and the machine has 3 GiB free, but the parent allows only 2 GiB.
    proc, cgroups = fake_system(tmp_path, "0::/grupo/hijo\n", files, mem_available=3 * GIB)
    assert available_memory(proc, cgroups) == 2 * GIB - 50 * MIB


def test_machine_tighter_than_groups(tmp_path):
    files = {"grupo/memory.max": "max", "grupo/memory.current": 50 * MIB}
    proc, cgroups = fake_system(tmp_path, "0::/grupo\n", files, mem_available=3 * GIB)
    assert available_memory(proc, cgroups) == 3 * GIB


def test_v1_unlimited_falls_back_to_machine(tmp_path):
    files = {"memory/memory.limit_in_bytes": 9223372036854771712, "memory/memory.usage_in_bytes": 300 * MIB}
    proc, cgroups = fake_system(tmp_path, "4:memory:/\n", files, mem_available=12 * GIB)
    assert available_memory(proc, cgroups) == 12 * GIB


def test_usage_above_limit_leaves_nothing(tmp_path):
    proc, cgroups = fake_system(tmp_path, "0::/\n", {"memory.max": 500 * MIB, "memory.current": 600 * MIB})
    assert available_memory(proc, cgroups) == 0


def test_unknown_without_meminfo_or_limits(tmp_path):
    proc, cgroups = fake_system(tmp_path, "0::/\n", {}, mem_available=None)
    assert available_memory(proc, cgroups) is None


def test_this_machine_reads_something():
    # Linux always has /proc/meminfo; the number is whatever this machine has free.
    free = available_memory()
    assert free is not None and free > 0
