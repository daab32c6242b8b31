"""The class report: statistics of a graded class, miskeyed parts, and a page that renders."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import DEMO, run_cli
from test_batch import make_class


def miskeyed_demo(base: Path) -> Path:
    """The demo problem with two wrong keys: part 7 expects O(n), part 9.a expects 7."""
    folder = base / "demo"
    shutil.copytree(DEMO, folder)
    spec = folder / "problem.yaml"
    text = spec.read_text()
    text = text.replace('answer: {value: "O(t)"}', 'answer: {value: "O(n)"}')
    text = text.replace("answer: {solver: double, args: {x: 3}}", "answer: {solver: double, args: {x: 3.5}}")
    spec.write_text(text)
    return folder


def _hostile(sid, ability, data, rng):
    if sid == "s010":
        data["answers"]["4"] = ["<script>alert(1)</script>"]
    return data


@pytest.fixture(scope="module")
def graded_class(tmp_path_factory):
    base = tmp_path_factory.mktemp("report")
    problem = miskeyed_demo(base / "spec")
    make_class(base / "subs", n=60, seed=11, answers_hook=_hostile)
    proc = run_cli("grade", problem, base / "subs", "--batch", "--jobs", "2", "--out", base / "results")
    assert proc.returncode == 0, proc.stderr
    proc = run_cli("report", problem, base / "results")
    assert proc.returncode == 0, proc.stderr
    return problem, base


def _stats(problem: Path, results: Path):
    from grader.class_stats import analyse
    from grader.spec import load_problem

    stats = analyse(load_problem(problem), results)
    return stats, {p.id: p for p in stats.parts}


def test_miskeyed_parts_are_flagged_and_others_are_not(graded_class):
    problem, base = graded_class
    stats, parts = _stats(problem, base / "results")
    assert any("almost everyone fails" in f for f in parts["7"].flags), parts["7"].flags
    assert any("one wrong answer dominates" in f and '"O(t)"' in f for f in parts["7"].flags)
    assert any("almost everyone fails" in f for f in parts["9.a"].flags), parts["9.a"].flags
    assert any("one wrong answer dominates" in f and "gave 6;" in f for f in parts["9.a"].flags)
    flagged = sorted(p.id for p in stats.parts if p.flags)
    assert set(flagged) <= {"7", "9.a", "9.b"}, flagged  # 9.b may follow 9.a (it uses it)
    html = (base / "results" / "report.html").read_text()
    assert "Part 7" in html and "one wrong answer dominates" in html


def test_wrong_answers_name_the_anticipated_mistake(graded_class):
    problem, base = graded_class
    _, parts = _stats(problem, base / "results")
    top = parts["1"].wrong
    assert top, "part 1 has wrong answers"
    assert any(w.matches == "anticipated: You used stride 2. (credit 0.5)" for w in top)
    assert any(w.matches == "" for w in parts["9.a"].wrong)  # plain wrong values: not anticipated
    counts = [w.count for w in top]
    assert counts == sorted(counts, reverse=True)


def test_per_part_mean_and_spread_match_the_gradebook(graded_class):
    from grader.gradebook import read_gradebook

    problem, base = graded_class
    stats, parts = _stats(problem, base / "results")
    rows = [r for r in read_gradebook(base / "results" / "gradebook.csv") if r["status"] == "graded"]
    assert parts["5"].n == len(rows) == 60
    mean5 = sum(float(r["5"]) for r in rows) / len(rows)
    assert parts["5"].mean == pytest.approx(mean5, abs=1e-3)
    assert 0 < parts["5"].std <= 1.0 + 1e-9  # choice part worth 2: scores 0 or 2
    assert len(stats.students) == 64 and len(stats.graded) == 60


def test_page_is_self_contained_escaped_and_deterministic(graded_class, tmp_path):
    problem, base = graded_class
    html = (base / "results" / "report.html").read_text()
    assert html.count('src="data:image/png;base64,') == 4  # histogram, facility-discrimination, statuses, options
    assert "http://" not in html and "https://" not in html  # nothing fetched from the network
    assert "<script>" not in html and "&lt;script&gt;" in html
    proc = run_cli("report", problem, base / "results", "-o", tmp_path / "again.html")
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "again.html").read_bytes() == (base / "results" / "report.html").read_bytes()


def test_report_needs_a_results_folder(tmp_path):
    proc = run_cli("report", DEMO, tmp_path / "missing")
    assert proc.returncode == 2 and "grade the class first" in proc.stderr
    (tmp_path / "empty").mkdir()
    proc = run_cli("report", DEMO, tmp_path / "empty")
    assert proc.returncode == 2 and "no JSON reports" in proc.stderr


def _chromium() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        path = shutil.which(name)
        if path:
            return path
    return None


def test_page_renders_in_headless_chromium(graded_class, tmp_path):
    browser = _chromium()
    if browser is None:
        pytest.skip("headless Chromium not installed (Debian: apt-get install -y chromium)")
    import matplotlib.image as mpimg
    import numpy as np

    _, base = graded_class
    page = base / "results" / "report.html"
    shot = tmp_path / "shot.png"
    subprocess.run(
        [browser, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         f"--user-data-dir={tmp_path / 'profile'}", f"--screenshot={shot}", "--window-size=1200,2000",
         page.resolve().as_uri()],
        capture_output=True, timeout=90, check=False,
    )
    assert shot.is_file() and shot.stat().st_size > 10_000, "Chromium wrote no screenshot"
    pixels = (mpimg.imread(shot)[..., :3] * 255).round()
    # The histogram's green bars (#2e7d32) only appear if the inlined PNGs were decoded and drawn.
    green = np.all(np.abs(pixels - np.array([46, 125, 50])) <= 6, axis=-1).sum()
    assert green > 2000, f"only {green} green pixels: the plots did not render"
    text_like = (pixels.sum(axis=-1) < 200).sum()
    assert text_like > 2000, "no dark text on the page"


def _grade_and_analyse(problem: Path, subs: Path, out: Path):
    proc = run_cli("grade", problem, subs, "--batch", "--jobs", "2", "--out", out)
    assert proc.returncode == 0, proc.stderr
    return _stats(problem, out)


def test_a_key_that_rewards_the_weak_students_answer_is_flagged(tmp_path):
    """Part 7 keyed to the typical wrong answer: the strong students, who answer right, score
    0 and the weak ones score, and the report says so. In this class the top 27% still earn
    about 15% of it and the bottom 27% about 37%: with 60 or 100 students that gap is within
    what chance gives when 9 parts are tested at once; with 300 it is not."""
    folder = tmp_path / "demo"
    shutil.copytree(DEMO, folder)
    spec = folder / "problem.yaml"
    spec.write_text(spec.read_text().replace('answer: {value: "O(t)"}', 'answer: {value: "O(t^2)"}'))
    make_class(tmp_path / "subs", n=300, seed=11)
    _, parts = _grade_and_analyse(folder, tmp_path / "subs", tmp_path / "res")
    assert any("strong students" in f for f in parts["7"].flags), parts["7"].flags
    assert not parts["5"].flags and not parts["1"].flags


def test_no_miskey_alarm_where_ability_predicts_nothing(tmp_path):
    """csc413-hw2 with every answer drawn from a random example, whatever the student: no part
    tells strong from weak, and chance alone must not raise "strong students fail it"."""
    import json
    import random

    root = Path(__file__).resolve().parent.parent
    examples = [json.loads(p.read_text())["answers"]
                for p in sorted((root / "submissions_example" / "csc413-hw2").glob("*.json"))]
    ids = sorted({k for ex in examples for k in ex})
    rng = random.Random(1)
    subs = tmp_path / "subs"
    subs.mkdir()
    for i in range(400):
        answers = {}
        for pid in ids:
            ex = rng.choice(examples)
            if pid in ex:
                answers[pid] = ex[pid]
        (subs / f"s{i:03d}.json").write_text(json.dumps({"answers": answers}))
    stats, _ = _grade_and_analyse(root / "problems" / "csc413-hw2", subs, tmp_path / "res")
    alarms = [(p.id, f) for p in stats.parts for f in p.flags if "strong students" in f]
    assert not alarms, alarms
