"""Confine this process and replace it with the untrusted command (the sandbox's first program).

    python -I -m leccion14.grading.sandbox_launch SETTINGS_JSON COMMAND [ARGUMENT ...]

``sandbox.run_sandboxed`` starts this module instead of setting up the child in a
``preexec_fn``. A ``preexec_fn`` runs Python between fork and exec, which is unsafe once the
grader has started threads (JAX starts several, and warns on every such fork). Here the set-up
runs in a fresh single-threaded process: new session, cgroup, resource limits, network and
mount namespaces with the hidden folders covered, then the sandbox uid, then ``execv``.
It imports only the standard library, so it starts in a few tens of milliseconds.
``sandbox.run_python_sandboxed`` calls ``confine`` instead, in a fork of a grader whose JAX has
not started (see ``preload``), and runs the recorder there without ``execv``.

If a step fails, it prints the error to standard error and exits with ``SETUP_FAILED``; the
untrusted command never starts.
"""

import ctypes
import json
import os
import resource
import sys

SETUP_FAILED = 125
_CLONE_NEWNS, _CLONE_NEWNET = 0x00020000, 0x40000000
_MS_RDONLY, _MS_NOSUID, _MS_NODEV, _MS_NOEXEC = 1, 2, 4, 8
_MS_REMOUNT, _MS_BIND, _MS_REC, _MS_PRIVATE = 32, 4096, 16384, 1 << 18


def _join_groups(procs_files: list[str]) -> None:
    for procs_file in procs_files:
        descriptor = os.open(procs_file, os.O_WRONLY)
        try:
            os.write(descriptor, str(os.getpid()).encode())
        finally:
            os.close(descriptor)


def _set_limits(limits: dict[str, int]) -> None:
    for name, value in limits.items():
        resource.setrlimit(getattr(resource, name), (value, value))


def _mount(libc, source, target: str, kind, flags: int, data, failure: str) -> None:
    if libc.mount(source, os.fsencode(target), kind, flags, data) != 0:
        raise OSError(ctypes.get_errno(), f"{failure}: {target}")


def _reveal(libc, folders: list[str]) -> None:
    """Make ``folders`` reachable, read-only, inside a parent that the sandbox account cannot enter.

    A forked sandbox runs the grader's own interpreter, which may live under a private home
    (``/root/.pyenv``). The parent gets an empty tmpfs with mode 711 and each folder is bound
    back into it, so the rest of the home stays out of sight.
    """
    parents: dict[str, list[str]] = {}
    for folder in folders:
        parents.setdefault(os.path.dirname(folder), []).append(folder)
    for parent, children in parents.items():
        # Descriptors keep the folders reachable once the tmpfs covers their parent.
        handles = {child: os.open(child, os.O_PATH | os.O_DIRECTORY) for child in children}
        _mount(libc, b"tmpfs", parent, b"tmpfs", _MS_NOSUID | _MS_NODEV, b"size=64k,mode=711", "no se pudo cubrir")
        for child, handle in handles.items():
            os.mkdir(child, 0o755)
            _mount(libc, f"/proc/self/fd/{handle}".encode(), child, None, _MS_BIND | _MS_REC, None, "no se pudo enlazar")
            _mount(libc, None, child, None, _MS_BIND | _MS_REMOUNT | _MS_RDONLY, None, "no se pudo dejar de solo lectura")
            os.close(handle)


def _isolate(hidden: list[str], reveal: list[str]) -> None:
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.unshare(_CLONE_NEWNET | _CLONE_NEWNS) != 0:
        raise OSError(ctypes.get_errno(), "unshare(CLONE_NEWNET | CLONE_NEWNS) falló")
    # Private propagation keeps the mounts below inside this process's namespace.
    if libc.mount(b"none", b"/", None, _MS_REC | _MS_PRIVATE, None) != 0:
        raise OSError(ctypes.get_errno(), "mount(MS_PRIVATE) falló")
    _reveal(libc, reveal)
    # An empty root-owned tmpfs with mode 000 covers each hidden folder.
    for path in hidden:
        flags = _MS_RDONLY | _MS_NOSUID | _MS_NODEV | _MS_NOEXEC
        if libc.mount(b"tmpfs", os.fsencode(path), b"tmpfs", flags, b"size=4k,mode=000") != 0:
            raise OSError(ctypes.get_errno(), f"no se pudo ocultar {path}")


def confine(settings: dict) -> None:
    """Apply ``settings`` (see ``sandbox.launch_settings``) to this process, as root when available."""
    os.setsid()
    _join_groups(settings["procs_files"])
    _set_limits(settings["limits"])
    if settings["isolate"]:
        _isolate(settings["hidden"], settings.get("reveal", []))
    # The uid changes last: unshare and mount need root.
    account = settings["account"]
    if account is not None:
        uid, gid = account
        os.setgroups([])
        os.setgid(gid)
        os.setuid(uid)


def main(argv: list[str]) -> None:
    settings, command = json.loads(argv[0]), argv[1:]
    try:
        confine(settings)
    except OSError as error:
        print(f"sandbox_launch: no se pudo preparar el sandbox: {error}", file=sys.stderr, flush=True)
        os._exit(SETUP_FAILED)
    os.execv(command[0], command)


if __name__ == "__main__":
    main(sys.argv[1:])
