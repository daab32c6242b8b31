"""Gradescope's autograder harness, reproduced as Gradescope documents it, on every problem in
problems/ and on the hostile submissions, in two modes.

What Gradescope documents (Autograder Specifications,
https://gradescope-autograders.readthedocs.io/en/latest/specs/, and Technical Details,
https://gradescope-autograders.readthedocs.io/en/latest/tech/):

- the zip's contents are extracted into ``/autograder/source``; ``setup.sh`` runs once, as
  root, while the Docker image is built; ``run_autograder`` "gets copied to
  ``/autograder/run_autograder`` during the Docker image build process";
- for each submission a new container of that image starts, the harness puts the student's
  files in ``/autograder/submission`` and runs ``/autograder/run_autograder``; "When the
  autograder executes, the working directory is ``/autograder``";
- ``/autograder/results/results.json`` must then hold the results ("Output format");
- ``/autograder/submission_metadata.json`` (Submission Metadata,
  https://gradescope-autograders.readthedocs.io/en/latest/submission_metadata/) holds ``id``,
  ``created_at``, ``assignment`` (``due_date``, ``group_size``, ``group_submission``, ``id``,
  ``late_due_date``, ``release_date``, ``title``, ``total_points``), ``submission_method``,
  ``users`` (``email``, ``id``, ``name``) and ``previous_submissions`` (``submission_time``,
  ``score``, ``results``: the earlier results.json, which the student's code can read).

Here: as root, each step runs in new mount and PID namespaces (a container's first process
is pid 1 of its own PID namespace; every orphan comes back to it, so it sees what outlived
the run), with a temporary folder bind-mounted over ``/autograder`` in that mount namespace
only (the machine's own ``/autograder`` is never touched; an empty mountpoint is created if
there is none). ``setup.sh`` does a real ``pip install`` of the zip's pins, once per problem.
Mode ``root``: root with every capability (a privileged container). Mode ``docker``: Docker's
default capability list and what its default seccomp profile refuses for namespaces and
mounts (tests/gradescope_container.py, which cites both), as in Gradescope's containers; the
first test proves that mode really refuses them. The environment is a container's (Docker's
default PATH, HOME=/root) plus a fake API token that must never reach a student.

Slow (about a minute per problem): marked ``slow``; the default ``pytest`` run (and .ci/run)
runs it. Without root, unshare(1) or x86_64 it skips and says why.
"""

from __future__ import annotations

import json
import os
import platform
import shutil
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest

from conftest import ROOT
from test_gradescope import RESULTS_SCHEMA

CONTAINER = Path(__file__).with_name("gradescope_container.py")
HOSTILE = Path(__file__).with_name("hostile")
CODE_DEMO = ROOT / "tests" / "problems" / "code-demo"
PROBLEMS = sorted(p.parent.name for p in (ROOT / "problems").glob("*/problem.yaml"))
MODES = ["root", "docker"]
TOKEN = "tok-GRADER-API-5b1e0d7c"  # in the grader's environment: must never reach a student
SOLVER_SECRET = "SOLVER-SECRET-7f3a9c"  # in code-demo's solver.py
DOCKER_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
EMAIL = "alice@example.edu"
FUTURE, PAST = "2099-01-01T23:59:00.000000-05:00", "2020-01-01T23:59:00.000000-05:00"


def _why_not() -> str | None:
    if os.name != "posix" or not sys.platform.startswith("linux"):
        return "Gradescope's harness is reproduced with Linux namespaces"
    if os.geteuid() != 0:
        return "needs root: it bind-mounts over /autograder in a private mount namespace, as CI (root) does"
    if platform.machine() != "x86_64":
        return "the Docker-default seccomp filter in gradescope_container.py is written for x86_64"
    if shutil.which("unshare") is None or shutil.which("unzip") is None:
        return "needs unshare(1) and unzip(1) (util-linux, unzip)"
    return None


pytestmark = [pytest.mark.slow, pytest.mark.skipif(_why_not() is not None, reason=_why_not() or "")]


def container(mode: str, cmd: list[str], *, bind: Path | None = None, cwd: str = "/autograder",
              timeout: float = 900) -> tuple[str, dict]:
    """Run ``cmd`` in a fresh 'container'; (its output, {status, leftover})."""
    if not Path("/autograder").exists():
        os.mkdir("/autograder", 0o755)  # an empty mountpoint; nothing is ever written to it
    env = {"HARNESS_ENV_PATH": DOCKER_PATH, "HARNESS_ENV_HOME": "/root", "HARNESS_ENV_LANG": "C.UTF-8",
           "HARNESS_ENV_GRADER_API_TOKEN": TOKEN}
    # pip's own configuration on this machine (its mirror), as the ordinary client reads it
    env.update({f"HARNESS_ENV_{k}": v for k, v in os.environ.items() if k.startswith("PIP_")})
    argv = ["unshare", "--mount", "--pid", "--fork", "--mount-proc", "--propagation", "private",
            sys.executable, str(CONTAINER), "--mode", mode, "--cwd", cwd]
    if bind is not None:
        argv += ["--bind", str(bind)]
    proc = subprocess.run([*argv, "--", *cmd], env={"PATH": os.environ.get("PATH", DOCKER_PATH), **env},
                          capture_output=True, text=True, timeout=timeout)
    lines = proc.stdout.rstrip().splitlines()
    assert proc.returncode == 0 and lines, proc.stdout[-3000:] + proc.stderr[-3000:]
    return proc.stdout + proc.stderr, json.loads(lines[-1])


def test_docker_mode_refuses_namespaces_and_mounts():
    """The 'docker' mode is Docker's default, not a convenient variant: no namespace of any
    kind, no mount, no setns, no pivot_root, clone3 ENOSYS, exactly Docker's capabilities
    (CapEff 00000000a80425fb, what `docker run` shows); the 'root' mode may do all of it."""
    from gradescope_container import DOCKER_MASK

    out = {}
    for mode in MODES:
        proc = subprocess.run(["unshare", "--mount", "--pid", "--fork", "--mount-proc", "--propagation",
                               "private", sys.executable, str(CONTAINER), "--mode", mode, "--probe"],
                              capture_output=True, text=True, timeout=60)
        assert proc.returncode == 0, proc.stderr
        out[mode] = json.loads(proc.stdout.splitlines()[-1])
    docker, root = out["docker"], out["root"]
    for what in ("unshare_newuser", "unshare_newns", "unshare_newnet", "unshare_newpid", "clone_newpid",
                 "setns", "mount", "pivot_root"):
        assert docker[what] == "EPERM", (what, docker)
    assert docker["clone3"] == "ENOSYS" and docker["fork"] == "ok" and docker["uid"] == 0
    assert docker["CapEff"] == docker["CapBnd"] == DOCKER_MASK == 0xA80425FB
    assert not docker["CapEff"] >> 21 & 1  # no CAP_SYS_ADMIN
    for what in ("unshare_newuser", "unshare_newns", "unshare_newnet", "clone_newpid", "setns", "mount"):
        assert root[what] == "ok", (what, root)


# ---------------------------------------------------------------------- installing


class Installed:
    """One problem's zip, unpacked and set up once (setup.sh in Docker's default mode, as
    Gradescope builds its image), then reused for every submission in both modes."""

    def __init__(self, problem: Path, base: Path, extra: tuple[str, ...] = ()):
        self.problem = problem
        self.root = base / "autograder"
        self.zip = base / "autograder.zip"
        build = subprocess.run([sys.executable, "-m", "grader", "gradescope", str(problem), "-o", str(self.zip),
                                *extra], cwd=ROOT, capture_output=True, text=True, timeout=300)
        assert build.returncode == 0, build.stdout + build.stderr
        self.build_output = build.stdout
        for sub in ("source", "submission", "results"):
            (self.root / sub).mkdir(parents=True)
        subprocess.run(["unzip", "-q", str(self.zip), "-d", str(self.root / "source")], check=True)
        # setup.sh from another working folder, then the copy Gradescope makes
        self.setup_output, result = container("docker", ["bash", "-c",
                                              "bash /autograder/source/setup.sh && cp /autograder/source/run_autograder "
                                              "/autograder/run_autograder"], bind=self.root, cwd="/")
        assert result["status"] == 0, self.setup_output[-5000:]
        assert result["leftover"] == [], result
        self.previous: list[dict] = []

    def submit(self, mode: str, files: dict[str, bytes], *, due: str = FUTURE, email: str = EMAIL,
               cmd: str = "cd /autograder && ./run_autograder", cwd: str = "/autograder") -> dict:
        """One submission in a fresh container; results.json (checked against the schema)."""
        sub = self.root / "submission"
        shutil.rmtree(sub)
        sub.mkdir()
        for name, data in files.items():
            (sub / name).parent.mkdir(parents=True, exist_ok=True)
            (sub / name).write_bytes(data)
        for old in (self.root / "results").iterdir():
            old.unlink()
        meta = {
            "id": 1000 + len(self.previous), "created_at": "2026-11-30T10:00:00.123456-05:00",
            "assignment": {"due_date": due, "group_size": None, "group_submission": False, "id": 25828,
                           "course_id": 1234, "late_due_date": None, "release_date": "2026-11-01T00:00:00.000000-05:00",
                           "title": self.problem.name, "total_points": "100.0"},
            "submission_method": "upload",
            "users": [{"email": email, "id": 4242, "name": "Alice Student"}],
            "previous_submissions": self.previous[-3:],
        }
        (self.root / "submission_metadata.json").write_text(json.dumps(meta), encoding="utf-8")
        output, result = container(mode, ["bash", "-c", cmd], bind=self.root, cwd=cwd)
        assert result["status"] == 0, output[-4000:]
        data = json.loads((self.root / "results" / "results.json").read_text(encoding="utf-8"))
        jsonschema.validate(data, RESULTS_SCHEMA)
        text = json.dumps(data)
        assert TOKEN not in text and TOKEN not in output, "the grader's environment reached the results"
        assert result["leftover"] == [], f"processes outlived run_autograder: {result['leftover']}"
        self.previous.append({"submission_time": meta["created_at"], "score": data.get("score", 0.0),
                              "autograder_error": False, "results": data})
        data["_stdout"] = output
        return data


_INSTALLED: dict[str, Installed] = {}


def installed(key: str, problem: Path, tmp_path_factory, extra: tuple[str, ...] = ()) -> Installed:
    if key not in _INSTALLED:
        _INSTALLED[key] = Installed(problem, tmp_path_factory.mktemp(key), extra)
    return _INSTALLED[key]


_OFFLINE: dict = {}


def grade_cli(problem: Path, path: Path, fmt: str, email: str = EMAIL) -> dict:
    """`grader grade PROBLEM PATH --format FMT --student EMAIL` on this checkout (once per file:
    both modes compare with the same result)."""
    key = (str(problem), str(path), fmt, email)
    if key not in _OFFLINE:
        proc = subprocess.run([sys.executable, "-m", "grader", "grade", str(problem), str(path), "--format", fmt,
                               "--student", email], cwd=ROOT, capture_output=True, text=True, timeout=300)
        assert proc.returncode in (0, 1), proc.stderr
        _OFFLINE[key] = json.loads(proc.stdout)
    return _OFFLINE[key]


def offline(problem: Path, path: Path, email: str = EMAIL) -> dict:
    return grade_cli(problem, path, "gradescope", email)


def report(problem: Path, path: Path, email: str = EMAIL) -> dict:
    return grade_cli(problem, path, "json", email)


def notebook(source: str) -> bytes:
    cells = [{"cell_type": "markdown", "metadata": {}, "source": ["# My answers\n"]},
             {"cell_type": "code", "metadata": {}, "execution_count": 1, "outputs": [],
              "source": source.splitlines(keepends=True)}]
    return json.dumps({"cells": cells, "metadata": {"kernelspec": {"name": "python3"}},
                       "nbformat": 4, "nbformat_minor": 5}).encode()


_SUBMISSIONS: dict = {}


def submissions(problem_id: str, tmp_path_factory) -> dict[str, Path]:
    """Every example submission of the problem, a notebook, a folder and a malformed file:
    name -> a file or folder on this machine (what `grader grade` gets); made once."""
    if problem_id not in _SUBMISSIONS:
        _SUBMISSIONS[problem_id] = _make_submissions(problem_id, tmp_path_factory.mktemp(f"subs-{problem_id}"))
    return _SUBMISSIONS[problem_id]


def _make_submissions(problem_id: str, scratch: Path) -> dict[str, Path]:
    examples = ROOT / "submissions_example" / problem_id
    out = {p.name: p for p in sorted(examples.iterdir()) if p.suffix in (".json", ".py")}
    full = json.loads((examples / "full-credit.json").read_text(encoding="utf-8"))
    answers = full.get("answers", full)
    code = examples / "full-credit.py"
    nb_source = (code.read_text(encoding="utf-8") if code.is_file()
                 else f"import json\nANSWERS = json.loads({json.dumps(json.dumps(answers))})\n")
    (scratch / "nb").mkdir()
    (scratch / "nb" / "answers.ipynb").write_bytes(notebook(nb_source))
    out["notebook"] = scratch / "nb" / "answers.ipynb"
    folder = scratch / "folder"
    folder.mkdir()
    shutil.copy(examples / "full-credit.json", folder / "answers.json")
    buggy = examples / "code-buggy.py"
    (folder / (buggy.name if buggy.is_file() else "notes.py")).write_text(
        buggy.read_text(encoding="utf-8") if buggy.is_file() else "NOTE = 'see answers.json'\n", encoding="utf-8")
    out["folder"] = folder
    (scratch / "bad").mkdir()
    (scratch / "bad" / "answers.json").write_text('{"answers": {"1": 26,', encoding="utf-8")
    out["malformed"] = scratch / "bad" / "answers.json"
    return out


def files_of(path: Path) -> dict[str, bytes]:
    if path.is_dir():
        return {p.name: p.read_bytes() for p in sorted(path.iterdir()) if p.is_file()}
    return {path.name: path.read_bytes()}


def part_scores(data: dict) -> dict:
    return {t["number"]: (t["score"], t["max_score"]) for t in data["tests"] if "number" in t
            and "extra_data" not in t}


# ---------------------------------------------------------------------- every problem


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("problem_id", PROBLEMS)
def test_every_submission_grades_as_offline(problem_id, mode, tmp_path_factory):
    problem = ROOT / "problems" / problem_id
    inst = installed(problem_id, problem, tmp_path_factory)
    if mode == "docker":  # the pins are all that is installed: resolved, nothing else (no matplotlib)
        pins = {line.split("==")[0].lower().replace("_", "-"): line.split("==")[1]
                for line in (inst.root / "source" / "requirements.txt").read_text().splitlines()
                if "==" in line}
        freeze = subprocess.run([str(inst.root / "source" / ".venv" / "bin" / "python"), "-m", "pip", "freeze",
                                 "--all", "--exclude-editable"], capture_output=True, text=True, check=True).stdout
        got = {line.split("==")[0].lower().replace("_", "-"): line.split("==")[1]
               for line in freeze.splitlines() if "==" in line}
        assert got == pins, (got, pins)
        assert "preflight: student code runs isolated" in inst.setup_output
        assert "permissions only" in inst.setup_output  # setup.sh saw Docker's mode
    for name, path in submissions(problem_id, tmp_path_factory).items():
        data = inst.submit(mode, files_of(path))
        want = offline(problem, path)
        assert part_scores(data) == part_scores(want), name
        assert data["score"] == pytest.approx(want["score"]), name
        assert not any(t["max_score"] and "by hand" in t.get("output", "") for t in data["tests"]), name
        assert "Worked solution" not in json.dumps(data) and "Expected answers" not in json.dumps(data)
        if name == "malformed":
            assert data["score"] == 0 and "could not be read" in data["output"]
        # before the due date no expected value of a part the student got wrong is stated
        shown = {t["number"]: t.get("output", "") for t in data["tests"] if "number" in t}
        for part in report(problem, path)["parts"]:
            expected = part.get("expected")
            if part["status"] in ("correct", "manual") or expected in (None, "", [], {}):
                continue
            text = json.dumps(expected) if not isinstance(expected, str) else expected
            if len(text) >= 4 and part["id"] in shown:
                assert text not in shown[part["id"]], (name, part["id"], text)
    # after the due date (a regrade) the expected answers and solutions may be shown
    late = inst.submit(mode, files_of(submissions_example(problem_id, "typical-mistakes.json")), due=PAST)
    assert part_scores(late) == part_scores(offline(problem, submissions_example(problem_id, "typical-mistakes.json")))


def submissions_example(problem_id: str, name: str) -> Path:
    return ROOT / "submissions_example" / problem_id / name


def test_manual_parts_are_left_to_gradescope_questions(tmp_path_factory):
    """Hand-graded parts are not tests; the zip comes with their outline for the instructor."""
    inst = installed("dl-midterm", ROOT / "problems" / "dl-midterm", tmp_path_factory)
    outline = inst.zip.with_name(inst.zip.stem + "-manual-questions.md")
    text = outline.read_text(encoding="utf-8")
    assert "Q1.g" in text and "Q7.4.b" in text and text.index("Q1.g") < text.index("Q7.4.b")
    assert "2 points" in text and "4 points" in text and "Sets layer f's bias to 1" in text
    assert "Autograder points: 46" in text  # 52 minus the 6 hand-graded points
    data = inst.submit("docker", files_of(submissions_example("dl-midterm", "full-credit.json")))
    numbers = [t.get("number") for t in data["tests"]]
    assert "Q1.g" not in numbers and "Q7.4.b" not in numbers
    assert sum(t["max_score"] for t in data["tests"]) == 46
    assert "6 more point(s) in 2 question(s) are graded by hand" in data["output"]


def test_run_autograder_in_place_and_from_anywhere(tmp_path_factory):
    inst = installed("csc413-hw2", ROOT / "problems" / "csc413-hw2", tmp_path_factory)
    files = files_of(submissions_example("csc413-hw2", "full-credit.json"))
    copy = inst.submit("docker", files)
    in_place = inst.submit("docker", files, cmd="/autograder/source/run_autograder", cwd="/tmp")
    by_path = inst.submit("docker", files, cmd="bash /autograder/run_autograder", cwd="/")
    assert part_scores(copy) == part_scores(in_place) == part_scores(by_path)
    assert copy["score"] == in_place["score"] > 0


# ---------------------------------------------------------------------- hostile code


INSTRUCTOR_TEST = '''
import os
import unittest

from gradescope_utils.autograder_utils.decorators import weight, number

SECRETS = ["/autograder/source/problems/code-demo/solver.py", "/autograder/submission_metadata.json",
           "/autograder/results"]


class TestIsolation(unittest.TestCase):
    @weight(1)
    @number("U1")
    def test_conv(self):
        """conv_output_shape with padding"""
        from full_credit import conv_output_shape
        self.assertEqual([int(x) for x in conv_output_shape((28, 28), 5, 1, 2)], [28, 28])

    @weight(0)
    @number("U2")
    def test_isolated(self):
        """the tests run isolated"""
        self.assertNotEqual(os.getuid(), 0)
        for path in SECRETS:
            self.assertFalse(os.access(path, os.R_OK), path)
        self.assertNotIn("GRADER_API_TOKEN", os.environ)
'''


def code_demo(tmp_path_factory) -> Installed:
    """code-demo with an instructor unittest file (it imports `full_credit`, so the hostile
    files, submitted as submission.py, earn nothing from it)."""
    if "code-demo" not in _INSTALLED:
        tests = tmp_path_factory.mktemp("unit-tests")
        (tests / "test_isolation.py").write_text(INSTRUCTOR_TEST, encoding="utf-8")
        installed("code-demo", CODE_DEMO, tmp_path_factory, ("--tests", str(tests)))
    return _INSTALLED["code-demo"]


@pytest.mark.parametrize("mode", MODES)
def test_instructor_unittests_run_and_score(mode, tmp_path_factory):
    inst = code_demo(tmp_path_factory)
    good = (CODE_DEMO / "full_credit.py").read_bytes()
    data = inst.submit(mode, {"full_credit.py": good})
    unit = {t["number"]: t for t in data["tests"] if "extra_data" in t}
    assert unit["U1"]["score"] == 1 and unit["U2"]["status"] == "passed", unit
    # the student's copy, not the file in the problem folder (which the grader refuses to read
    # as a submission: it is the instructor's own)
    mine = tmp_path_factory.mktemp("offline") / "full_credit.py"
    mine.write_bytes(good)
    parts = offline(CODE_DEMO, mine)
    assert part_scores(data) == part_scores(parts)
    assert data["score"] == pytest.approx(parts["score"] + 1)
    # before the due date a failing test says how it ended, not the assertion's message
    bad = inst.submit(mode, {"full_credit.py": (CODE_DEMO / "buggy.py").read_bytes()})
    unit = {t["number"]: t for t in bad["tests"] if "extra_data" in t}
    assert unit["U1"]["score"] == 0 and unit["U2"]["status"] == "passed"
    assert "[28, 28]" not in unit["U1"]["output"] and "shown after the due date" in unit["U1"]["output"]


HOSTILE_FILES = sorted(p.name for p in HOSTILE.glob("*.py"))


@pytest.mark.parametrize("mode", ["docker"])  # root: tests/test_hostile.py
@pytest.mark.parametrize("name", HOSTILE_FILES)
def test_hostile_submission_scores_zero_and_leaves_nothing(name, mode, tmp_path_factory):
    """tests/hostile/ through the whole harness, in Gradescope's (Docker's) mode: 0 points, no process left (the container's
    pid 1 sees every orphan), neither the grader's environment (the token), Gradescope's
    metadata, a classmate nor the solver in results.json, and results.json not forged."""
    inst = code_demo(tmp_path_factory)
    text = (HOSTILE / name).read_text(encoding="utf-8")
    for key, value in {"PROBLEM": "/autograder/source/problems/code-demo", "OUTDIR": "/autograder/results",
                       "PLANTED": "/autograder/source/problems/code-demo/problem.yaml", "PORT": "9"}.items():
        text = text.replace(f"@{key}@", value)
    data = inst.submit(mode, {"submission.py": text.encode()})
    shown = json.dumps(data)
    assert data["score"] == 0, shown[:3000]
    assert data["tests"] and all(t["score"] == 0 for t in data["tests"])
    assert SOLVER_SECRET not in shown
    assert '"previous_submissions"' not in shown and "25828" not in shown  # the metadata stayed closed
    assert "def conv_output_shape(input_hw, kernel, stride=1, padding=0):\n    h, w" not in shown


SPY = '''
import glob, os


def _steal():
    found = []
    paths = ["/autograder/class/alice/answers.py", "/autograder/out/alice.json"]
    for pattern in ["/autograder/class/*/*", "/autograder/out/*", "../*/*"]:
        paths += glob.glob(pattern)[:20]
    for path in paths:
        try:
            with open(path, "rb") as fh:
                found.append(path + ": " + fh.read(300).decode(errors="replace"))
        except OSError as exc:
            found.append(path + ": " + str(exc.strerror))
    return "\\n".join(found)


def conv_output_shape(input_hw, kernel, stride=1, padding=0):
    raise RuntimeError(_steal())


def receptive_field(layers):
    raise RuntimeError(_steal())
'''


@pytest.mark.parametrize("mode", MODES)
def test_batch_classmates_and_reports_stay_private(mode, tmp_path_factory):
    """`grader grade --batch` inside the container: a student's code reads neither a classmate's
    files nor the reports already written to --out (in Docker's mode: by permissions)."""
    inst = code_demo(tmp_path_factory)
    klass = inst.root / "class"
    shutil.rmtree(klass, ignore_errors=True)
    shutil.rmtree(inst.root / "out", ignore_errors=True)
    for student, text in (("alice", (CODE_DEMO / "full_credit.py").read_text() + "\nMARK = 'ALICE-WORK-91'\n"),
                          ("zed", SPY)):
        (klass / student).mkdir(parents=True)
        (klass / student / "answers.py").write_text(text, encoding="utf-8")
        (klass / student).chmod(0o755)
    klass.chmod(0o755)
    output, result = container(mode, ["/autograder/source/.venv/bin/grader", "grade",
                                      "/autograder/source/problems/code-demo", "/autograder/class", "--batch",
                                      "--jobs", "1", "--out", "/autograder/out"], bind=inst.root)
    assert result["status"] == 0 and result["leftover"] == [], output[-3000:]
    zed = (inst.root / "out" / "zed.json").read_text(encoding="utf-8")
    alice = json.loads((inst.root / "out" / "alice.json").read_text(encoding="utf-8"))
    assert alice["score"] > 0
    assert "ALICE-WORK-91" not in zed and "(w + 2 * padding - kernel)" not in zed
    for path in ("/autograder/class/alice/answers.py", "/autograder/out/alice.json"):
        assert f"{path}: Permission denied" in zed or f"{path}: No such file or directory" in zed, zed


def test_setup_refuses_an_interpreter_the_student_cannot_run(tmp_path):
    """In Docker's mode, with the grader on a Python the student's uid cannot reach (a pyenv
    under /root, mode 700, like this machine's): setup.sh's isolation check fails loudly, and
    the instructor tests are reported as not run, never run as root."""
    base = Path(sys.base_prefix).resolve()
    if not any(os.stat(p).st_mode & 0o001 == 0 for p in base.parents if p != Path("/")):
        pytest.skip(f"{base} is reachable by other users here: nothing to refuse")
    work = tmp_path / "work"
    work.mkdir()
    work.chmod(0o755)
    shutil.copytree(ROOT / "grader", work / "grader")  # a copy: its folders get chmodded, not the checkout's
    problem = work / "problems" / "code-demo"
    shutil.copytree(CODE_DEMO, problem)
    (problem / "tests").mkdir()
    (problem / "tests" / "test_isolation.py").write_text(INSTRUCTOR_TEST, encoding="utf-8")
    (work / "pyproject.toml").write_text("", encoding="utf-8")
    cmd = ["env", f"PYTHONPATH={work}", sys.executable, "-m", "grader.gradescope.preflight", str(problem)]
    output, result = container("docker", cmd, cwd=str(work))
    assert result["leftover"] == [], result
    assert result["status"] == 1, output
    assert "REFUSED" in output and "permissions only" in output
    assert "instructor unittest tests would not run safely" in output
    assert "not run, rather than run as root" in output
