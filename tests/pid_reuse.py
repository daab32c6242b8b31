"""Hand an ended sandbox child's pid to the next child on purpose, and report what they share.

Run as root as pid 1 of new PID and mount namespaces (``unshare --mount --pid --fork
--mount-proc``), where ``/proc/sys/kernel/ns_last_pid`` picks the next pid without touching
the machine's. Pids are reused all the time (pid_max is often 32768; a full test run wraps it),
and a child may end by itself while the grader is busy elsewhere: its fork server reaps it and
its pid is free, while what it started still runs. The next child to get that pid must not
share its uid (when the uid was ``uid_base + pid`` it did), and finishing the old child must
not reach the new one. Prints one JSON line: a report per case.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from grader.sandbox import forkserver  # noqa: E402
from grader.sandbox.limits import SandboxConfig  # noqa: E402
from grader.sandbox.session import SandboxSession  # noqa: E402
from grader.sandbox.users import processes_of  # noqa: E402

CONFIG = SandboxConfig(call_timeout=10.0, import_timeout=10.0, submission_timeout=60.0,
                       cpu_seconds=20, memory_mb=768, max_procs=12)
ENDS_BY_ITSELF = (
    "import os, subprocess, threading\n"
    "def start(marker):\n"
    "    subprocess.Popen(['sleep', marker], start_new_session=True)\n"
    "    threading.Timer(0.3, os._exit, [0]).start()  # ends while the grader is elsewhere\n"
    "    return os.getpid()\n")
WHO = "import os\ndef who():\n    return [os.getpid(), os.getuid()]\n"


def session(folder: Path, name: str, source: str):
    path = folder / name
    path.write_text(source)
    sandbox = SandboxSession(CONFIG.replace())
    return sandbox, sandbox.add_file(path)


def running(marker: str) -> bool:
    for name in os.listdir("/proc"):
        try:
            if (name.isdigit() and marker.encode() in Path(f"/proc/{name}/cmdline").read_bytes()
                    and Path(f"/proc/{name}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"):
                return True
        except OSError:
            continue
    return False


def state(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return "gone"


def wait_for(condition, seconds: float = 10.0) -> bool:
    end = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > end:
            return False
        time.sleep(0.01)
    return True


def case(folder: Path, marker: str, another_server: bool) -> dict:
    old, old_file = session(folder, "old.py", ENDS_BY_ITSELF)
    started = old.call(old_file, "start", [marker])
    if not started.ok or not wait_for(lambda: running(marker)):
        return {"setup": f"the first child did not start its grandchild: {started}"}
    pid, uid = old.pids[0], old.uids[0]
    if not wait_for(lambda: state(pid) in ("Z", "gone")):
        return {"setup": "the first child did not end by itself"}
    old.child.server.request({"op": "status"})  # its fork server reaps it: the pid is free
    if another_server:
        forkserver._SERVER = None
        forkserver.get_server()  # started before the pid is chosen (it forks on its own)
    with open("/proc/sys/kernel/ns_last_pid", "w") as fh:
        fh.write(str(pid - 1))
    new, new_file = session(folder, "new.py", WHO)
    before = new.call(new_file, "who")
    old.close()
    after = new.call(new_file, "who")
    new.close()
    gone = wait_for(lambda: not running(marker), 2.0)
    return {"reused_pid": bool(before.ok and before.value[0] == pid),
            "uids_differ": bool(before.ok and before.value[1] != uid),
            "new_child_survived": bool(after.ok and after.value == before.value),
            "old_leftover_killed": gone, "no_process_of_old_uid": processes_of(uid) == [],
            "detail": {"old": [pid, uid], "new": before.value, "after": after.value or after.message}}


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        report = {"same fork server": case(Path(tmp), f"61.{os.getpid()}1", False),
                  "another fork server": case(Path(tmp), f"61.{os.getpid()}2", True)}
    print(json.dumps(report))


if __name__ == "__main__":
    main()
