"""A stand-in for the container Gradescope runs an autograder in, for tests/test_gradescope_harness.py.

Run as root, as pid 1 of new PID and mount namespaces (``unshare --mount --pid --fork
--mount-proc --propagation private``), like a Docker container's first process:

    python3 gradescope_container.py --bind HOSTDIR --mode root|docker [--cwd DIR] -- CMD...
    python3 gradescope_container.py --mode root|docker --probe

It bind-mounts HOSTDIR over ``/autograder`` (inside the private mount namespace only: the
machine's own /autograder is never touched), runs CMD, waits for it, and prints one JSON line
``{"status": ..., "leftover": [...]}`` saying how CMD ended and which processes outlived it
(as pid 1 of the namespace every orphan is reparented here, so /proc lists them all).

``--mode docker`` runs CMD the way Docker runs a container's process by default:

- capabilities: Docker's default list only (moby's ``oci/caps/defaults.go``, also listed in
  Docker's documentation "Runtime privilege and Linux capabilities"): CHOWN, DAC_OVERRIDE,
  FSETID, FOWNER, MKNOD, NET_RAW, SETGID, SETUID, SETFCAP, SETPCAP, NET_BIND_SERVICE,
  SYS_CHROOT, KILL, AUDIT_WRITE; every other one (CAP_SYS_ADMIN among them) is dropped from
  the bounding, effective, permitted and inheritable sets, so no exec gives it back;
- seccomp: what Docker's default profile (moby/profiles ``seccomp/default.json``) refuses a
  process without CAP_SYS_ADMIN for namespaces and mounts. The profile is an allow-list whose
  default action is ``SCMP_ACT_ERRNO`` (EPERM); ``mount``, ``umount2``, ``unshare``,
  ``setns``, ``fsopen``, ``fsconfig``, ``fsmount``, ``fspick``, ``move_mount``, ``open_tree``
  and ``mount_setattr`` are allowed only with CAP_SYS_ADMIN, ``pivot_root`` is not allowed at
  all, ``clone`` only when its flags hold none of CLONE_NEWNS, NEWCGROUP, NEWUTS, NEWIPC,
  NEWUSER, NEWPID, NEWNET (mask 2114060288 = 0x7E020000), and ``clone3`` fails with ENOSYS
  (errnoRet 38, so the C library falls back to ``clone``). The filter below does exactly that
  for those calls (x86_64; other architectures' calls and x32 calls are refused) and allows
  the rest, which Docker's profile also allows for ordinary programs. Docker's AppArmor
  profile and its other refusals (keyctl, bpf, ptrace, ...) are not reproduced.

``--probe`` prints what a process in that mode may do (creating each kind of namespace,
mounting, entering a namespace, clone with CLONE_NEWPID, pivot_root, its capability sets), so
the test proves the mode really refuses namespace creation instead of trusting this file.
"""

from __future__ import annotations

import argparse
import ctypes
import errno
import json
import os
import signal
import struct
import sys

DOCKER_CAPS = {  # linux/capability.h numbers of Docker's default capability list
    "CAP_CHOWN": 0, "CAP_DAC_OVERRIDE": 1, "CAP_FOWNER": 3, "CAP_FSETID": 4, "CAP_KILL": 5,
    "CAP_SETGID": 6, "CAP_SETUID": 7, "CAP_SETPCAP": 8, "CAP_NET_BIND_SERVICE": 10,
    "CAP_NET_RAW": 13, "CAP_SYS_CHROOT": 18, "CAP_MKNOD": 27, "CAP_AUDIT_WRITE": 29,
    "CAP_SETFCAP": 31,
}
DOCKER_MASK = sum(1 << n for n in DOCKER_CAPS.values())
CAP_SYS_ADMIN = 21

# x86_64 system call numbers (asm/unistd_64.h)
NR = {"clone": 56, "pivot_root": 155, "mount": 165, "umount2": 166, "unshare": 272,
      "setns": 308, "open_tree": 428, "move_mount": 429, "fsopen": 430, "fsconfig": 431,
      "fsmount": 432, "fspick": 433, "clone3": 435, "mount_setattr": 442}
DENIED = ("pivot_root", "mount", "umount2", "unshare", "setns", "open_tree", "move_mount",
          "fsopen", "fsconfig", "fsmount", "fspick", "mount_setattr")
CLONE_NEW_MASK = 2114060288  # moby's clone rule: NEWNS|NEWCGROUP|NEWUTS|NEWIPC|NEWUSER|NEWPID|NEWNET
AUDIT_ARCH_X86_64 = 0xC000003E
X32_SYSCALL_BIT = 0x40000000

PR_SET_SECCOMP, SECCOMP_MODE_FILTER, PR_CAPBSET_DROP = 22, 2, 24
RET_ALLOW, RET_ERRNO = 0x7FFF0000, 0x00050000
LD_ABS_W, JEQ_K, JGE_K, JSET_K, RET_K = 0x20, 0x15, 0x35, 0x45, 0x06

libc = ctypes.CDLL(None, use_errno=True)


def seccomp_program() -> list[tuple[int, int, int, int]]:
    """The BPF filter: (code, jt, jf, k) tuples; jumps resolved against labels."""
    prog: list = []
    prog.append((LD_ABS_W, 0, 0, 4))                        # seccomp_data.arch
    prog.append((JEQ_K, 0, "deny", AUDIT_ARCH_X86_64))
    prog.append((LD_ABS_W, 0, 0, 0))                        # seccomp_data.nr
    prog.append((JGE_K, "deny", 0, X32_SYSCALL_BIT))
    for name in DENIED:
        prog.append((JEQ_K, "deny", 0, NR[name]))
    prog.append((JEQ_K, "enosys", 0, NR["clone3"]))
    prog.append((JEQ_K, 0, "allow", NR["clone"]))
    prog.append((LD_ABS_W, 0, 0, 16))                       # args[0], low 32 bits: the flags
    prog.append((JSET_K, "deny", "allow", CLONE_NEW_MASK))
    labels = {"allow": len(prog), "deny": len(prog) + 1, "enosys": len(prog) + 2}
    prog += [(RET_K, 0, 0, RET_ALLOW), (RET_K, 0, 0, RET_ERRNO | errno.EPERM),
             (RET_K, 0, 0, RET_ERRNO | errno.ENOSYS)]
    out = []
    for i, (code, jt, jf, k) in enumerate(prog):
        jt = labels[jt] - i - 1 if isinstance(jt, str) else jt
        jf = labels[jf] - i - 1 if isinstance(jf, str) else jf
        out.append((code, jt, jf, k))
    return out


def docker_default() -> None:
    """Become a process of a default Docker container (see the module's docstring)."""
    raw = b"".join(struct.pack("HBBI", *ins) for ins in seccomp_program())
    buf = ctypes.create_string_buffer(raw)
    fprog = struct.pack("HxxxxxxQ", len(raw) // 8, ctypes.addressof(buf))
    fbuf = ctypes.create_string_buffer(fprog)
    # Installed while CAP_SYS_ADMIN is still held, so no_new_privs is not needed (Docker does
    # not set it either).
    if libc.prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, ctypes.c_ulong(ctypes.addressof(fbuf)), 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "seccomp filter refused")
    last = int(open("/proc/sys/kernel/cap_last_cap").read())
    for cap in range(last + 1):
        if not DOCKER_MASK >> cap & 1 and libc.prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), f"cannot drop capability {cap}")
    header = (ctypes.c_uint32 * 2)(0x20080522, 0)
    low, high = DOCKER_MASK & 0xFFFFFFFF, DOCKER_MASK >> 32
    data = (ctypes.c_uint32 * 6)(low, low, 0, high, high, 0)  # effective, permitted, inheritable
    if libc.capset(header, data) != 0:
        raise OSError(ctypes.get_errno(), "capset failed")


def probe() -> dict:
    """What this process may do: each attempt in a throwaway child."""

    def attempt(fn) -> str:
        pid = os.fork()
        if pid == 0:
            code = 0
            try:
                fn()
            except OSError as exc:
                code = exc.errno or 99
            os._exit(code)
        _, status = os.waitpid(pid, 0)
        code = os.WEXITSTATUS(status) if os.WIFEXITED(status) else 98
        return "ok" if code == 0 else errno.errorcode.get(code, str(code))

    def call(name, *args):
        def run():
            if libc.syscall(NR[name], *args) != 0:
                raise OSError(ctypes.get_errno(), name)
        return run

    def unshare(flag):
        return call("unshare", ctypes.c_ulong(flag))

    def clone_newpid():
        # raw clone(CLONE_NEWPID | SIGCHLD): the child exits at once
        pid = libc.syscall(NR["clone"], ctypes.c_ulong(0x20000000 | signal.SIGCHLD), None, None, None, None)
        if pid < 0:
            raise OSError(ctypes.get_errno(), "clone")
        if pid == 0:
            os._exit(0)
        os.waitpid(pid, 0)

    def setns_net():
        fd = os.open("/proc/self/ns/net", os.O_RDONLY)
        if libc.syscall(NR["setns"], fd, 0) != 0:
            raise OSError(ctypes.get_errno(), "setns")

    def mount_tmpfs():
        if libc.mount(b"none", b"/tmp", b"tmpfs", 0, None) != 0:
            raise OSError(ctypes.get_errno(), "mount")

    def plain_fork():
        pid = os.fork()
        if pid == 0:
            os._exit(0)
        os.waitpid(pid, 0)

    status = {line.split(":")[0]: line.split(":")[1].strip()
              for line in open("/proc/self/status") if line.startswith("Cap")}
    return {
        "unshare_newuser": attempt(unshare(0x10000000)),
        "unshare_newns": attempt(unshare(0x00020000)),
        "unshare_newnet": attempt(unshare(0x40000000)),
        "unshare_newpid": attempt(unshare(0x20000000)),
        "clone_newpid": attempt(clone_newpid),
        "clone3": attempt(call("clone3", None, ctypes.c_size_t(0))),
        "setns": attempt(setns_net),
        "mount": attempt(mount_tmpfs),
        "pivot_root": attempt(call("pivot_root", b"/", b"/")),
        "fork": attempt(plain_fork),
        "CapBnd": int(status["CapBnd"], 16), "CapEff": int(status["CapEff"], 16),
        "CapPrm": int(status["CapPrm"], 16), "uid": os.getuid(),
    }


def processes() -> list[dict]:
    """Every process of this PID namespace but this one: pid, uid, state, command line."""
    found = []
    for name in os.listdir("/proc"):
        if not name.isdigit() or int(name) == os.getpid():
            continue
        try:
            stat = open(f"/proc/{name}/stat").read()
            uid = next(int(line.split()[1]) for line in open(f"/proc/{name}/status")
                       if line.startswith("Uid:"))
            cmd = open(f"/proc/{name}/cmdline", "rb").read().replace(b"\0", b" ").decode(errors="replace")
        except (OSError, StopIteration):
            continue
        found.append({"pid": int(name), "uid": uid, "state": stat.rsplit(")", 1)[1].split()[0],
                      "cmd": cmd[:200]})
    return found


def reap() -> None:
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--bind")
    parser.add_argument("--mode", choices=("root", "docker"), required=True)
    parser.add_argument("--cwd", default="/")
    parser.add_argument("--probe", action="store_true")
    parser.add_argument("cmd", nargs="*")
    args = parser.parse_args()
    if os.getpid() != 1:
        print("gradescope_container.py must be pid 1 of its own PID namespace", file=sys.stderr)
        return 2
    if args.bind:
        # MS_BIND | MS_REC onto /autograder, in this (private) mount namespace only
        if libc.mount(args.bind.encode(), b"/autograder", None, 0x1000 | 0x4000, None) != 0:
            raise OSError(ctypes.get_errno(), "bind mount over /autograder")
    if args.probe:
        if args.mode == "docker":
            docker_default()
        print(json.dumps(probe()))
        return 0
    env = {k: v for k, v in os.environ.items() if k.startswith("HARNESS_ENV_")}
    env = {k[len("HARNESS_ENV_"):]: v for k, v in env.items()}
    pid = os.fork()
    if pid == 0:
        try:
            os.chdir(args.cwd)
            if args.mode == "docker":
                docker_default()
            os.execvpe(args.cmd[0], args.cmd, env)
        except BaseException as exc:  # noqa: BLE001
            print(f"container: cannot run {args.cmd}: {exc}", file=sys.stderr)
        os._exit(127)
    _, status = os.waitpid(pid, 0)
    reap()
    leftover = [p for p in processes() if p["state"] not in "ZX"]
    result = {"status": os.waitstatus_to_exitcode(status), "leftover": leftover}
    sys.stdout.flush()
    print("\n" + json.dumps(result), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
