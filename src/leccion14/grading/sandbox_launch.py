"""Confine this process and replace it with the untrusted command (the sandbox's first program).

    python -I -m leccion14.grading.sandbox_launch SETTINGS_JSON COMMAND [ARGUMENT ...]

``sandbox.run_sandboxed`` starts this module instead of setting up the child in a
``preexec_fn``. A ``preexec_fn`` runs Python between fork and exec, which is unsafe once the
grader has started threads (JAX starts several, and warns on every such fork). Here the set-up
runs in a fresh single-threaded process: new session, cgroup, resource limits, network and
mount namespaces with the hidden folders covered, then the sandbox uid, then ``execv``.
It imports only the standard library, so it starts in a few tens of milliseconds.

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
_MS_REC, _MS_PRIVATE = 16384, 1 << 18


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


def _isolate(hidden: list[str]) -> None:
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.unshare(_CLONE_NEWNET | _CLONE_NEWNS) != 0:
        raise OSError(ctypes.get_errno(), "unshare(CLONE_NEWNET | CLONE_NEWNS) falló")
    # Private propagation keeps the mounts below inside this process's namespace.
    if libc.mount(b"none", b"/", None, _MS_REC | _MS_PRIVATE, None) != 0:
        raise OSError(ctypes.get_errno(), "mount(MS_PRIVATE) falló")
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
        _isolate(settings["hidden"])
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
