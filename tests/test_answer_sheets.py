"""Answer sheets (answers.md, answers.tex), JSON holding LaTeX, and the bundle's templates:
what a student writes, what the grader reads, and the messages when it cannot."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest
import yaml

from conftest import DEMO, ROOT, run_cli
from sheet_filling import fill_latex, fill_markdown, seed_style

from grader.engine import grade
from grader.loaders import load_submission
from grader.spec import load_problem

PROBLEMS = ["dl-midterm", "csc413-hw2", "uva-dl1-resit-2022"]
CODE_DEMO = ROOT / "tests" / "problems" / "code-demo"


def graded(tmp_path: Path, files: dict[str, str], problem=DEMO):
    """Grade a folder holding `files` (name -> text) against `problem`."""
    folder = tmp_path / "sub"
    folder.mkdir(exist_ok=True)
    for name, text in files.items():
        (folder / name).write_text(text, encoding="utf-8")
    target = folder if len(files) > 1 else folder / next(iter(files))
    sub = load_submission(target, private=[Path(problem)])
    try:
        return grade(load_problem(problem), sub)
    finally:
        sub.close()


def part(report, pid):
    return next(p for p in report.parts if p.id == pid)


# ------------------------------------------------------------------ answers.md

DEMO_MD = """\
# My homework 2
Name: Alice (not an answer: the title's text)

## 1 · Output size
> the question, quoted: never read
$$\\left\\lfloor \\frac{28 - 3}{1} \\right\\rfloor + 1 = 26$$

## Part 2:
<!-- a comment -->
$$w^* = \\begin{bmatrix} 0.8 \\\\ 0.4 \\end{bmatrix}$$

## 3
output shape would be  $[32, 128, 26, 26]$

## 5
- [ ] A. Convolutional layer
- [x] B. BatchNorm layer
- [ ] C. Linear activation

## 6
Solution: $B$ and $D$

```answer 7
$\\mathcal{O}(t)$
```

## 8
Every update adds a multiple of $x_j$, so $\\hat{w} = X^\\top (X X^\\top)^{-1} t$.
"""


def test_markdown_sheet_in_latex_grades_right(tmp_path):
    report = graded(tmp_path, {"answers.md": DEMO_MD})
    assert report.fatal is None
    for pid in ("1", "2", "3", "5", "6", "7"):
        assert part(report, pid).status == "correct", part(report, pid)
    assert part(report, "8").status == "manual"
    assert "\\hat{w}" in part(report, "8").answer
    assert report.messages == []  # the title, quotes and comments are not answers


def test_markdown_sheet_wrong_and_partly_right(tmp_path):
    text = ("## 1\n$\\frac{28 - 3}{2} + 1 = 13.5$\n\n## 2\n$\\begin{bmatrix} 0.8 \\\\ 0.41 \\end{bmatrix}$\n\n"
            "## 3\n$[32, 128, 26, 25]$\n\n## 6\n- [x] B\n- [x] C\n- [ ] D\n")
    report = graded(tmp_path, {"answers.md": text})
    assert part(report, "1").status == "incorrect"
    assert part(report, "2").status in ("partial", "incorrect")
    assert part(report, "3").status == "partial"  # per-dimension credit: 3 of 4 right
    assert 0 < part(report, "3").score < 1
    assert part(report, "6").score == 0  # B (+1) and C (-1)


def test_markdown_malformed_blocks_have_line_numbers(tmp_path):
    text = ("## 1\n26\n\n## 99\nbogus\n\n## 1\n27\n\n## 3\n$[32, 128, 26, 26]$\n\n"
            "## 2\n```answer 2\n[0.8, 0.4]\n")
    report = graded(tmp_path, {"answers.md": text})
    joined = "\n".join(report.messages)
    assert "unknown part id '99' (answers.md line 4)" in joined
    assert "part 1 is answered in both answers.md line 1 and answers.md line 7" in joined
    assert "answers.md line 14: the ``` block opened here is never closed" in joined
    first = part(report, "1")
    assert first.status == "invalid" and first.score == 0 and "line 7" in first.feedback
    assert part(report, "3").status == "correct"  # one part never sinks another
    assert part(report, "2").status == "missing"


def test_markdown_sub_headings_stay_in_their_part_and_equal_answers_do_not_conflict(tmp_path):
    text = "## 8\nThe proof.\n\n### (a) first step\nGradients are multiples of $x_j$.\n\n## 1\n26\n"
    report = graded(tmp_path, {"answers.md": text, "answers.json": '{"1": 26, "7": "O(t)"}'})
    assert "### (a) first step" in part(report, "8").answer and "$x_j$" in part(report, "8").answer
    assert part(report, "1").status == "correct" and report.messages == []


def test_markdown_unclosed_comment_is_reported(tmp_path):
    report = graded(tmp_path, {"answers.md": "## 1\n26\n<!-- note\n\n## 3\n[32, 128, 26, 26]\n"})
    assert part(report, "1").status == "correct"
    assert any("answers.md line 3: the comment <!-- opened here is never closed" in m for m in report.messages)


def test_markdown_malformed_answer_names_file_line_and_format(tmp_path):
    report = graded(tmp_path, {"answers.md": "# Answers\n\n## 3\nabout thirty\n"})
    p = part(report, "3")
    assert p.status == "invalid"
    assert "answers.md line 3" in p.feedback and "non-negative integer" in p.feedback


def test_markdown_python_block_is_the_code_part(tmp_path):
    code = (CODE_DEMO / "full_credit.py").read_text(encoding="utf-8")
    functions = code[code.index("def conv_output_shape"):code.index("def rmsprop_step")]
    text = f"## 1 · Convolution output size\n\n```python\n{functions}```\n\n## 4\n42\n"
    report = graded(tmp_path, {"answers.md": text}, CODE_DEMO)
    assert part(report, "1").score == part(report, "1").max_score
    assert part(report, "2").score == part(report, "2").max_score  # blocks join into one module


def test_markdown_python_syntax_error_points_at_the_sheet_line(tmp_path):
    text = "# Code\n\n## 1\n\n```python\ndef conv_output_shape(input_hw, kernel, stride, padding)\n    return 1\n```\n"
    report = graded(tmp_path, {"answers.md": text}, CODE_DEMO)
    assert part(report, "1").score == 0
    assert any("answers.md (its Python code)" in m and "line 6" in m for m in report.messages), report.messages


def test_free_text_with_a_code_snippet_is_not_imported(tmp_path):
    text = "## 8\nPlace the call first:\n\n```python\noptim.zero_grad()\nloss.backward()\n```\n"
    folder_report = graded(tmp_path, {"answers.md": text})
    assert part(folder_report, "8").status == "manual"
    assert folder_report.messages == []


# ------------------------------------------------------------------ answers.tex

DEMO_TEX = r"""\documentclass{article}
\usepackage{grader-answers}
\begin{document}
% Part 1: the question in a comment, with $[1, 2]$ that is not read
\begin{answer}[Output size (1 pt)]{1}
  $\left\lfloor \frac{28 - 3}{1} \right\rfloor + 1 = 26$ % 26, from the working
\end{answer}
\begin{answer}{2}
  $$\mathbf{w}^* = \frac{2}{5}\begin{bmatrix} 2 \\ 1 \end{bmatrix}$$
\end{answer}
\answerpart{3}{output shape would be $[32, 128, 26, 26]$}
\begin{answer}{5}
  $B$
\end{answer}
\begin{answer}{7}
  $\mathcal{O}(t)$
\end{answer}
\begin{answer}{8}
  It holds for 100\% of the updates: each adds a multiple of $x_j$.
\end{answer}
\end{document}
"""


def test_latex_sheet_grades_right(tmp_path):
    report = graded(tmp_path, {"answers.tex": DEMO_TEX})
    for pid in ("1", "2", "3", "5", "7"):
        assert part(report, pid).status == "correct", part(report, pid)
    assert part(report, "8").answer.startswith("It holds for 100\\% of the updates")  # \% is no comment
    assert report.messages == []


def test_latex_sheet_wrong_answer(tmp_path):
    text = DEMO_TEX.replace("+ 1 = 26", "= 25").replace("$B$", "$D$")
    report = graded(tmp_path, {"answers.tex": text})
    assert part(report, "1").status in ("incorrect", "partial") and part(report, "1").score < 1
    assert part(report, "5").score == 0


def test_latex_malformed_environments_have_line_numbers(tmp_path):
    text = ("\\begin{answer}{1}\n26\n\\end{answer}\n"
            "\\begin{answer}{3}\n[32, 128, 26, 26]\n"
            "\\begin{answer}{7}\nO(t)\n\\end{answer}\n"
            "\\end{answer}\n"
            "\\begin{answer}{1}\n26\n\\end{answer}\n"
            "\\begin{answer}\nno id\n\\end{answer}\n"
            "\\begin{answer}{2}\n[0.8, 0.4]\n")
    report = graded(tmp_path, {"answers.tex": text})
    joined = "\n".join(report.messages)
    assert "answers.tex line 6: \\begin{answer} inside the answer to part 3 opened at line 4" in joined
    assert "answers.tex line 9: \\end{answer} without a \\begin{answer}" in joined
    assert "answers.tex line 13: \\begin{answer} needs the part id in braces" in joined
    assert "answers.tex line 16: the answer to part 2 is never closed" in joined
    assert part(report, "1").status == "correct"  # the same answer twice is no conflict
    assert part(report, "3").status == "correct" and part(report, "7").status == "correct"
    assert part(report, "2").status == "missing"


def test_latex_verbatim_code_is_the_code_part(tmp_path):
    code = (CODE_DEMO / "full_credit.py").read_text(encoding="utf-8")
    functions = code[code.index("def conv_output_shape"):code.index("def rmsprop_step")]
    text = ("\\begin{answer}{1}\n\\begin{verbatim}\n" + functions + "\\end{verbatim}\n\\end{answer}\n"
            "\\answerpart{4}{42}\n")
    report = graded(tmp_path, {"answers.tex": text}, CODE_DEMO)
    assert part(report, "1").score == part(report, "1").max_score
    assert part(report, "4").status == "correct"


# ------------------------------------------------------------------ folders mixing formats

def test_folder_mixes_formats_and_a_conflict_is_an_error_not_a_pick(tmp_path):
    files = {
        "answers.md": "## 1\n$26$\n\n## 3\n$[32, 128, 26, 26]$\n",
        "answers.tex": "\\begin{answer}{5}B\\end{answer}\n\\begin{answer}{1}\n$26$\n\\end{answer}\n",
        "answers.json": json.dumps({"answers": {"3": [32, 128, 26, 27], "7": "O(t)", "2": None}}),
        "README.md": "# Read me\n\n## 1\n99\n",
    }
    report = graded(tmp_path, files)
    assert part(report, "1").status == "correct"  # the same value in two files
    assert part(report, "5").status == "correct" and part(report, "7").status == "correct"
    three = part(report, "3")
    assert three.status == "invalid" and three.score == 0
    assert "answered in both answers.json and answers.md line 4" in three.feedback
    assert part(report, "2").status == "missing"  # a JSON null is no answer
    assert not any("README" in m for m in report.messages)


def test_function_written_in_two_files_is_reported(tmp_path):
    code = (CODE_DEMO / "full_credit.py").read_text(encoding="utf-8")
    functions = code[code.index("def conv_output_shape"):code.index("def receptive_field")]
    files = {"answers.md": f"## 1\n```python\n{functions}```\n", "hw.py": functions}
    report = graded(tmp_path, files, CODE_DEMO)
    assert any("function conv_output_shape is written in both answers.md (its Python code) and hw.py" in m
               for m in report.messages)


# ------------------------------------------------------------------ JSON holding LaTeX

def test_json_latex_with_single_backslashes_is_graded_with_a_warning(tmp_path):
    text = ('{"answers": {\n'
            '  "1": "\\frac{52}{2}",\n'
            '  "7": "$\\mathcal{O}(t)$",\n'
            '  "8": "first line\\nsecond line: \\nabla f, \\beta, \\theta, \\rho, \\tau, a^2 \\sigma^2"\n'
            '}}')
    report = graded(tmp_path, {"answers.json": text})
    assert part(report, "1").status == "correct"
    assert part(report, "7").status == "correct"
    eight = part(report, "8").answer
    assert eight.startswith("first line\nsecond line: \\nabla f, \\beta, \\theta, \\rho, \\tau")  # the real new line stays
    warnings = [m for m in report.messages if "backslash" in m]
    assert len(warnings) == 3
    assert any("line 2, part 1: read \\frac as LaTeX" in m and "write \\\\frac in JSON, or use answers.md" in m
               for m in warnings), warnings
    assert any("part 7" in m and "\\mathcal" in m and "invalid escape" in m for m in warnings)
    assert any("part 8" in m and "\\nabla, \\beta, \\theta, \\rho, \\tau, \\sigma" in m for m in warnings)


def test_json_doubled_backslashes_and_real_control_characters_need_no_warning(tmp_path):
    text = json.dumps({"answers": {"1": "\\frac{52}{2}", "8": "line\nnext\ttab \\nabla"}})
    report = graded(tmp_path, {"answers.json": text})
    assert part(report, "1").status == "correct"
    assert part(report, "8").answer == "line\nnext\ttab \\nabla"
    assert report.messages == []


def test_json_unrepairable_is_still_unreadable_with_the_reason(tmp_path):
    report = graded(tmp_path, {"answers.json": '{"answers": {"1": "\\frac{52}{2}",}'})
    assert report.fatal and "invalid JSON" in report.fatal


# ------------------------------------------------------------------ templates

@pytest.fixture(scope="module")
def bundles(tmp_path_factory):
    root = tmp_path_factory.mktemp("bundles")
    out = {}
    for name in PROBLEMS + ["code-demo"]:
        problem = CODE_DEMO if name == "code-demo" else name
        proc = run_cli("bundle", problem, "-o", root / name)
        assert proc.returncode == 0, proc.stderr
        out[name] = root / name
    return out


def _doc(bundle: Path) -> dict:
    return yaml.safe_load((bundle / "bundle.yaml").read_text(encoding="utf-8"))


@pytest.mark.parametrize("name", PROBLEMS + ["code-demo"])
def test_templates_carry_every_part_with_its_question(bundles, name):
    bundle = bundles[name]
    doc = _doc(bundle)
    md = (bundle / "answers.md").read_text(encoding="utf-8")
    tex = (bundle / "answers.tex").read_text(encoding="utf-8")
    template = json.loads((bundle / "answers.json").read_text(encoding="utf-8"))["answers"]
    for p in doc["parts"]:
        pid = str(p["id"])
        heading = re.search(rf"^## {re.escape(pid)}(?: · (.*))?$", md, re.M)
        assert heading, pid
        if p.get("title"):
            assert heading.group(1) == " ".join(p["title"].split())
        section = md[heading.end():].split("\n## ")[0]
        assert f"**{float(p['points']):g} pt**" in section
        assert f"Answer format: {p['answer_format']}" in section
        if p.get("prompt"):
            assert " ".join(p["prompt"].split()[:6]) in " ".join(section.replace("> ", " ").split())
        assert re.search(rf"\\begin\{{answer\}}\[[^\n]*\({float(p['points']):g} pt\)\]\{{{re.escape(pid)}\}}", tex)
        if p["type"] != "code":
            assert pid in template and template[pid] is None
        for option in (p.get("check") or {}).get("options") or []:
            assert f"- [ ] {option['label']}" in section
    code = [p for p in doc["parts"] if p["type"] == "code"]
    stub = bundle / "answers.py"
    assert stub.exists() == bool(code)
    if code:
        import ast

        tree = ast.parse(stub.read_text(encoding="utf-8"))
        functions = {f.name: f for f in tree.body if isinstance(f, ast.FunctionDef)}
        for p in code:
            fn = functions[p["function"]]
            assert [a.arg for a in fn.args.args] == p["code"]["args"]
            docstring = ast.get_docstring(fn)
            assert f"Part {p['id']}" in docstring
            for case in p["public_cases"]:
                assert json.dumps(case["expected"]) in docstring


@pytest.mark.parametrize("name", PROBLEMS + ["code-demo"])
def test_unfilled_templates_are_no_answers(bundles, name, tmp_path):
    """The whole bundle folder handed in untouched: every part missing, no conflict, no noise."""
    folder = tmp_path / "handed-in"
    shutil.copytree(bundles[name], folder)
    problem = CODE_DEMO if name == "code-demo" else ROOT / "problems" / name
    sub = load_submission(folder, private=[problem])
    try:
        assert sub.answers == {}
        assert sub.rejected == {} and sub.messages == []
        report = grade(load_problem(problem), sub)
    finally:
        sub.close()
    assert report.score == 0
    assert {p.status for p in report.parts if p.type != "code"} == {"missing"}
    assert {p.status for p in report.parts if p.type == "code"} <= {"incorrect"}  # the stub raises


def _seed_answers(name: str, bundle: Path) -> dict[str, str]:
    types = {str(p["id"]): p["type"] for p in _doc(bundle)["parts"]}
    data = json.loads((ROOT / "submissions_example" / name / "full-credit-latex.json").read_text())["answers"]
    return {k: seed_style(types[k], v) for k, v in data.items()}


def _expected_score(name: str) -> float:
    expected = yaml.safe_load((ROOT / "submissions_example" / name / "expected.yaml").read_text())
    return float(expected["full-credit-latex.json"]["score"])


@pytest.mark.parametrize("name", PROBLEMS)
@pytest.mark.parametrize("sheet", ["answers.md", "answers.tex"])
def test_templates_filled_in_the_seeds_latex_grade_full_credit(bundles, name, sheet, tmp_path):
    bundle = bundles[name]
    answers = _seed_answers(name, bundle)
    fill = fill_markdown if sheet == "answers.md" else fill_latex
    text = fill((bundle / sheet).read_text(encoding="utf-8"), answers)
    (tmp_path / sheet).write_text(text, encoding="utf-8")
    proc = run_cli("grade", name, tmp_path / sheet, "--format", "json")
    report = json.loads(proc.stdout)
    assert report["score"] == pytest.approx(_expected_score(name)), [
        (p["id"], p["feedback"]) for p in report["parts"] if p["status"] not in ("correct", "manual")]
    assert not [m for m in report["messages"] if "unknown" in m or "answered in both" in m]


def test_filled_templates_self_check_from_the_bundle(bundles, tmp_path):
    bundle = bundles["dl-midterm"]
    text = fill_markdown((bundle / "answers.md").read_text(encoding="utf-8"), _seed_answers("dl-midterm", bundle))
    (tmp_path / "answers.md").write_text(text, encoding="utf-8")
    proc = run_cli("check", bundle, tmp_path / "answers.md", "--format", "json")
    assert proc.returncode == 0, proc.stderr
    lines = {line["id"]: line for line in json.loads(proc.stdout)["lines"]}
    assert not [i for i, line in lines.items() if line["status"] in ("invalid", "not checked")]
    assert lines["Q1.a.i"]["status"] == "well-formed"
    assert lines["C.1"]["status"] == "missing"  # no code handed in


# ------------------------------------------------------------------ Gradescope

def test_the_same_files_grade_identically_on_gradescope(bundles, tmp_path):
    """`grader grade --format gradescope` on a folder and the autograder on
    /autograder/submission/ (Gradescope copies the student's files there; run_autograder reads
    the folder) give the same tests and scores."""
    bundle = bundles["dl-midterm"]
    root = tmp_path / "autograder"
    submission = root / "submission"
    submission.mkdir(parents=True)
    answers = _seed_answers("dl-midterm", bundle)
    answers["Q1.a.i"] = "$[32, 128, 25, 25]$"  # partly right
    md = fill_markdown((bundle / "answers.md").read_text(encoding="utf-8"), answers)
    code = (ROOT / "submissions_example" / "dl-midterm" / "code-buggy.py").read_text(encoding="utf-8")
    md = md.replace("\n## C.2", f"\n```python\n{code}\n```\n\n## C.2", 1)
    (submission / "answers.md").write_text(md, encoding="utf-8")
    (submission / "answers.tex").write_text(fill_latex((bundle / "answers.tex").read_text(encoding="utf-8"),
                                                       {"Q1.g": "Set the bias of layer f to $1$."}),
                                            encoding="utf-8")
    (root / "source").mkdir()
    (root / "results").mkdir()
    problem = ROOT / "problems" / "dl-midterm"
    local = run_cli("grade", problem, submission, "--format", "gradescope")
    proc = subprocess.run([str(ROOT / ".venv" / "bin" / "python"), "-m", "grader.gradescope.run", "--root",
                          str(root), "--problem", str(problem)], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    remote = json.loads((root / "results" / "results.json").read_text(encoding="utf-8"))
    mine = json.loads(local.stdout)

    def tests(results):  # feedback wording may differ before the due date (answers concealed)
        return [(t.get("number"), t.get("score"), t.get("max_score"), t.get("status"))
                for t in results["tests"] if t.get("number") != "answers"]

    assert tests(remote) == tests(mine)
    # one test per automatically graded part; hand-graded parts are Gradescope manual questions
    assert len(tests(mine)) == len([p for p in load_problem(problem).parts if p.type != "manual"])
    assert remote["score"] == mine["score"]
    by_number = {t["number"]: t for t in mine["tests"]}
    assert 0 < by_number["Q1.a.i"]["score"] < by_number["Q1.a.i"]["max_score"]
    assert 0 < by_number["C.1"]["score"] < by_number["C.1"]["max_score"]  # the buggy code, from answers.md


# ------------------------------------------------------------------ the PDF and the wheel

def _pdflatex() -> str | None:
    return shutil.which("pdflatex")


@pytest.mark.skipif(_pdflatex() is None, reason="pdflatex is not installed (Debian: apt-get install "
                    "texlive-latex-base); the templates' TeX is then not compiled here")
@pytest.mark.parametrize("name", PROBLEMS + ["code-demo"])
def test_latex_template_compiles_into_a_pdf(bundles, name, tmp_path):
    bundle = bundles[name]
    work = tmp_path / "tex"
    work.mkdir()
    shutil.copy(bundle / "grader-answers.sty", work)
    text = (bundle / "answers.tex").read_text(encoding="utf-8")
    if name == "dl-midterm":  # filled in, as a student would, manual parts included
        answers = _seed_answers(name, bundle)
        answers["Q1.g"] = r"Layer f $\Rightarrow$ all ones with Layer e all zeros"
        answers["Q7.4.b"] = (r"$$\mathbb{E}[B|\theta_t] \leq \lambda_{\max} 4\alpha^2 (\max_i \|x_i\|^2) "
                             r"(\theta_t - \theta^*)^T (\tilde{X}^T \tilde{X}) (\theta_t - \theta^*)$$")
        text = fill_latex(text, answers)
    (work / "answers.tex").write_text(text, encoding="utf-8")
    proc = subprocess.run([_pdflatex(), "-interaction=nonstopmode", "-halt-on-error", "answers.tex"],
                          cwd=work, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout[-3000:]
    assert (work / "answers.pdf").stat().st_size > 1000
    # the same file is the submission
    report = json.loads(run_cli("grade", CODE_DEMO if name == "code-demo" else name, work / "answers.tex",
                                "--format", "json").stdout)
    assert report["fatal"] is None


def test_bundle_wheel_is_the_grader_alone_and_deterministic(bundles, tmp_path):
    wheels = sorted(bundles["dl-midterm"].glob("*.whl"))
    assert [w.name for w in wheels] == [f"answer_grader-{__import__('grader').__version__}-py3-none-any.whl"]
    with zipfile.ZipFile(wheels[0]) as zf:
        names = zf.namelist()
        assert all(n.startswith(("grader/", "answer_grader-")) for n in names), names
        assert "grader/cli.py" in names
        assert not any(n.endswith(("problem.yaml", "/solver.py")) or "problems/" in n for n in names)
        metadata = zf.read(next(n for n in names if n.endswith("METADATA"))).decode()
        assert "Name: answer-grader" in metadata
        assert "matplotlib" not in re.sub(r"Requires-Dist: matplotlib[^\n]*extra == \"(report|test)\"", "",
                                          metadata)
    again = run_cli("bundle", "dl-midterm", "-o", tmp_path / "again")
    assert again.returncode == 0
    for name in ("answers.md", "answers.tex", "answers.json", "answers.py", wheels[0].name):
        assert (tmp_path / "again" / name).read_bytes() == (bundles["dl-midterm"] / name).read_bytes(), name


# ------------------------------------------------------------------ a student's fresh machine

def _oldest_python() -> str:
    """Python 3.10 where this machine has it (Gradescope's and many students' version)."""
    for candidate in ("/root/.pyenv/versions/3.10.13/bin/python", shutil.which("python3.10") or ""):
        if candidate and Path(candidate).exists():
            return candidate
    import sys

    return sys.executable


def test_a_student_installs_and_checks_from_the_bundle_alone(bundles, tmp_path):
    """The README's two commands, in a fresh virtual environment, from a copy of the bundle
    (nothing of the repository on the path): install the wheel, then check a filled sheet."""
    bundle = tmp_path / "bundle"
    shutil.copytree(bundles["dl-midterm"], bundle)
    readme = (bundle / "README.md").read_text(encoding="utf-8")
    install = re.search(r"^    (python3 -m venv \.venv && \.venv/bin/python -m pip install \./\S+\.whl)$",
                        readme, re.M)
    check = re.search(r"^    (\.venv/bin/grader check \. answers\.md)\b", readme, re.M)
    assert install and check, readme
    text = fill_markdown((bundle / "answers.md").read_text(encoding="utf-8"), _seed_answers("dl-midterm", bundle))
    (bundle / "answers.md").write_text(text, encoding="utf-8")
    venv = bundle / ".venv"
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "PIP_DISABLE_PIP_VERSION_CHECK": "1"}
    command = install.group(1).replace("python3", _oldest_python(), 1)  # Python 3.10 where there is one
    pip = subprocess.run(["bash", "-c", command], cwd=bundle, env=env, capture_output=True, text=True,
                         timeout=1200)
    if pip.returncode != 0 and re.search(r"No matching distribution|Could not find a version|"
                                         r"NewConnectionError|Network is unreachable", pip.stderr):
        pytest.skip("pip cannot reach a package index from here to fetch numpy, sympy and PyYAML: "
                    + pip.stderr.strip().splitlines()[-1])
    assert pip.returncode == 0, pip.stderr[-3000:]
    freeze = subprocess.run([str(venv / "bin" / "python"), "-m", "pip", "list", "--format", "json"],
                            env=env, capture_output=True, text=True, check=True)
    installed = {p["name"].lower() for p in json.loads(freeze.stdout)}
    assert "answer-grader" in installed and "matplotlib" not in installed
    proc = subprocess.run(["bash", "-c", check.group(1)], cwd=bundle, env=env, capture_output=True,
                          text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "Self-check of answers.md for dl-midterm" in proc.stdout
    assert "2 part(s) missing or malformed: C.1, C.2" in proc.stdout  # only the code parts are blank
    where = subprocess.run([str(venv / "bin" / "python"), "-c", "import grader; print(grader.__file__)"],
                           cwd=tmp_path, env=env, capture_output=True, text=True, check=True).stdout
    assert where.startswith(str(venv))  # the wheel's grader, not the repository's


def test_self_check_shows_a_conflict_as_invalid(bundles, tmp_path):
    folder = tmp_path / "mine"
    folder.mkdir()
    (folder / "answers.md").write_text("## Q1.h\n$15$\n\n## Q1.f\n$[10, 24, 32, 32]$\n", encoding="utf-8")
    (folder / "answers.json").write_text('{"answers": {"Q1.h": 7}}', encoding="utf-8")
    proc = run_cli("check", bundles["dl-midterm"], folder, "--format", "json")
    lines = {line["id"]: line for line in json.loads(proc.stdout)["lines"]}
    assert lines["Q1.h"]["status"] == "invalid"
    assert "answered in both answers.json and answers.md line 1" in lines["Q1.h"]["message"]
    assert lines["Q1.f"]["status"] == "well-formed"


# ------------------------------------------------------------------ LaTeX in each answer type

def _parse(type_name, raw, **options):
    from grader.types import PartContext, get_type

    kind = get_type(type_name)
    merged = {name: opt.default for name, opt in kind.options.items()}
    merged.update(options)
    ctx = PartContext(part_id="p", options=merged, extra={"points": 1.0})
    return kind, ctx, kind.parse(raw, ctx)


OPTIONS = [{"label": "A", "text": "Convolutional layer"}, {"label": "B", "text": "$\\frac{1}{2}M + 1$"},
           {"label": "C", "text": "Bias term"}, {"label": "D", "text": "Stride"}]


@pytest.mark.parametrize("type_name, raw, expected, options", [
    ("number", "$\\frac{1}{3}$", 1 / 3, {}),
    ("number", "$\\left\\lfloor \\frac{28 + 2 - 4}{2} \\right\\rfloor + 1 = 14$", 14, {}),
    ("number", "the rate is $1.2 \\times 10^{-3}$", 0.0012, {}),
    ("number", "$r_d = 15 \\rightarrow \\text{so, receptive field is } 15$", 15, {}),
    ("array", "$\\begin{bmatrix} 1 & 0 \\\\ 0 & 1 \\end{bmatrix}$", [[1, 0], [0, 1]], {}),
    ("array", "$\\theta = \\frac{1}{3} \\begin{bmatrix} 1 \\\\ 10 \\\\ 100 \\end{bmatrix}$", [1 / 3, 10 / 3, 100 / 3], {}),
    ("array", "$w_1 \\approx [\\frac{1}{2}, \\frac{1}{4}]$", [0.5, 0.25], {}),
    ("shape", "output shape would be  $[32, 128, 26, 26]$", (32, 128, 26, 26), {}),
    ("shape", "$10 \\times 24 \\times 32 \\times 32$", (10, 24, 32, 32), {}),
    ("choice", "Solution: $\\textbf{(B)}$", "B", {"options": OPTIONS}),
    ("choice", "$\\frac{1}{2}M + 1$", "B", {"options": OPTIONS}),
    ("multi", "Solution: $C$ and $D$", {"C", "D"}, {"options": OPTIONS}),
])
def test_each_type_reads_latex_as_students_write_it(type_name, raw, expected, options):
    import numpy as np

    kind, ctx, got = _parse(type_name, raw, **options)
    if type_name == "array":  # a bmatrix column is read as a column; a length-n answer accepts it
        assert np.allclose(got.reshape(-1), np.array(expected).reshape(-1))
        assert kind.compare(got, kind.expected(expected, ctx), ctx).fraction == 1.0
    elif type_name == "multi":
        assert set(got) == expected
    else:
        assert got == pytest.approx(expected) if isinstance(expected, float) else got == expected


@pytest.mark.parametrize("type_name, raw, words, options", [
    ("number", "$\\frac{1}{$", "expected a number", {}),
    ("number", "$x + 1$", "expected a number", {}),
    ("array", "$\\begin{bmatrix} 1 & 2 \\\\ 3 \\end{bmatrix}$", "", {}),
    ("shape", "$[32, 128, 26.5, 26]$", "dimension 3", {}),
    ("choice", "$E$", "is not one of the options", {"options": OPTIONS}),
])
def test_malformed_latex_answers_say_what_was_expected(type_name, raw, words, options):
    from grader.types import Invalid

    with pytest.raises(Invalid) as info:
        _parse(type_name, raw, **options)
    assert words in str(info.value)


def test_latex_answers_graded_right_wrong_and_partly_right():
    kind, ctx, got = _parse("array", "$\\begin{bmatrix} 0.8 \\\\ 0.4 \\end{bmatrix}$", partial="per_element")
    expected = kind.expected([0.8, 0.4], ctx)
    assert kind.compare(got, expected, ctx).fraction == 1
    _, _, half = _parse("array", "$\\begin{bmatrix} 0.8 \\\\ 0.5 \\end{bmatrix}$", partial="per_element")
    assert kind.compare(half, expected, ctx).fraction == 0.5
    _, _, wrong = _parse("array", "$\\begin{bmatrix} 0.4 \\\\ 0.8 \\end{bmatrix}$", partial="per_element")
    assert kind.compare(wrong, expected, ctx).fraction == 0


# ------------------------------------------------------------------ hostile sheets stay bounded

@pytest.mark.parametrize("name, text, words", [
    ("answers.json", '{"answers": {"1": "' + "\\s" * 200_000 + '"}}', "more than 20000 single backslashes"),
    ("answers.tex", "\\answerpart{1}{" * 200_000, "line 1: \\answerpart{...}{...} is not closed"),
    ("answers.tex", "\\begin{answer}{1}\n" * 200_000, "the rest of the file is not read"),
    ("answers.md", "## 1\n" * 200_000, "more than 2000 parts"),
    ("answers.md", "## 1\n```answer 2\n" + "x\n" * 500_000, "line 2: the ``` block opened here is never closed"),
])
def test_hostile_sheets_are_read_quickly_with_a_reason(tmp_path, name, text, words):
    import time

    (tmp_path / name).write_text(text, encoding="utf-8")
    start = time.monotonic()
    sub = load_submission(tmp_path / name)
    assert time.monotonic() - start < 20  # generous: the point is linear, not quadratic, reading
    assert any(words in m for m in sub.messages + [sub.fatal or ""]), (sub.fatal, sub.messages[:3])
    assert len(sub.messages) <= 60


def test_choice_template_filled_in(tmp_path):
    """A multiple-response part, from template to grade: the options are listed to tick."""
    folder = tmp_path / "multi-demo"
    folder.mkdir()
    (folder / "problem.yaml").write_text(
        "id: multi-demo\ntitle: Multi demo\ntotal: 1\nparts:\n"
        "  - id: \"4\"\n    points: 1\n    type: multi\n"
        "    options:\n      - {label: A, text: Pretraining, points: -1}\n      - {label: B, text: Weights, points: 1}\n"
        "      - {label: C, text: Data, points: -1}\n      - {label: D, text: Hand labels, points: 1}\n",
        encoding="utf-8")
    (folder / "solver.py").write_text("", encoding="utf-8")
    assert run_cli("bundle", folder, "-o", tmp_path / "b").returncode == 0
    md = (tmp_path / "b" / "answers.md").read_text(encoding="utf-8")
    assert "Tick the options (- [x]), or write the labels (\"A, C\")." in md and "- [ ] B. Weights" in md
    blank = graded(tmp_path, {"answers.md": md}, folder)
    assert [p.status for p in blank.parts] == ["missing"]
    filled = md.replace("- [ ] B.", "- [x] B.").replace("- [ ] D.", "- [x] D.")
    report = graded(tmp_path, {"answers.md": filled}, folder)
    assert [p.status for p in report.parts] == ["correct"], [p.feedback for p in report.parts]
    partly = filled.replace("- [x] D.", "- [x] C.")
    report = graded(tmp_path, {"answers.md": partly}, folder)
    assert report.parts[0].score == 0


def test_a_class_of_answer_sheets_is_graded_in_batch(tmp_path):
    klass = tmp_path / "class"
    klass.mkdir()
    (klass / "alice.md").write_text(DEMO_MD, encoding="utf-8")
    (klass / "bob.tex").write_text(DEMO_TEX, encoding="utf-8")
    (klass / "carol").mkdir()
    (klass / "carol" / "answers.md").write_text("## 3\n$[32, 128, 26, 25]$\n", encoding="utf-8")
    (klass / "README.md").write_text("# How to hand in\n\n## 1\n26\n", encoding="utf-8")
    proc = run_cli("grade", DEMO, klass, "--batch", "--jobs", "1", "--no-progress", "--csv", tmp_path / "book.csv")
    assert proc.returncode == 0, proc.stderr
    from grader.gradebook import read_gradebook

    rows = {r["student"]: r for r in read_gradebook(tmp_path / "book.csv")}
    assert set(rows) == {"alice", "bob", "carol"}
    assert float(rows["alice"]["3"]) == 1 and float(rows["bob"]["3"]) == 1 and 0 < float(rows["carol"]["3"]) < 1
    assert float(rows["alice"]["2"]) == 2 and float(rows["bob"]["2"]) == 2  # part 1's size is drawn per student
    assert "skipped README.md" in proc.stderr


SEED_LINES = r"""
## 2.1.2.a
Forward propagation: $O(1)$

## 2.1.2.b
Back-propagation: $O(t)$ because we need to store all w_t & $\nabla_{w_t} L_t$

## 2.2.1.a
$$w_1 = w_0 - \frac{2\eta}{n} X^T a$$

## 2.2.1.b
$$\therefore L_1 = \frac{1}{n} \|a - \frac{2\eta}{n} X X^T a\|_2^2$$

## 2.2.3.b
$$\therefore \eta^* = \frac{n}{2} \frac{a^T X X^T a}{a^T X X^T X X^T a}$$

## 2.3.2
$$(1 - 2\eta\tilde{\lambda})w_0 = (1 - \lambda)w_0 \rightarrow 1 - 2\eta\tilde{\lambda} = 1 - \lambda \rightarrow \lambda = 2\eta\tilde{\lambda} \rightarrow \tilde{\lambda} = \frac{\lambda}{2\eta}$$
"""  # noqa: E501 (a student's sheet as written)


def test_the_seed_students_lines_pasted_into_answers_md_grade(tmp_path):
    """Lines copied verbatim from seeds 001 (2.1.2, 2.2.1, 2.2.3) and 002 (its 2.2.2, this 2.3.2)."""
    problem = ROOT / "problems" / "csc413-hw2"
    report = graded(tmp_path, {"answers.md": SEED_LINES}, problem)
    for pid in ("2.1.2.a", "2.1.2.b", "2.2.1.a", "2.2.1.b", "2.2.3.b", "2.3.2"):
        assert part(report, pid).status == "correct", part(report, pid)
    wrong = SEED_LINES.replace(r"w_0 - \frac{2\eta}{n} X^T a", r"w_0 - \eta X^T a").replace(
        r"Forward propagation: $O(1)$", r"Forward propagation: $O(t)$").replace(
        r"\tilde{\lambda} = \frac{\lambda}{2\eta}$$", r"\tilde{\lambda} = \frac{2\eta}{\lambda}$$")
    report = graded(tmp_path, {"answers.md": wrong}, problem)
    assert [part(report, p).score for p in ("2.1.2.a", "2.2.1.a", "2.3.2")] == [0, 0, 0]
    assert part(report, "2.2.1.b").status == "correct"


# ------------------------------------------------------------------ one reader (grader.expr.values)

def test_a_derivation_is_graded_by_its_last_step():
    from grader.expr.values import formula_sides

    assert formula_sides(r"$a = b \therefore y = \frac{x}{2}$") == ["y", r"\frac{x}{2}"]
    assert formula_sides(r"(1 - \lambda) w_0 \rightarrow \tilde{\lambda} = \frac{\lambda}{2}") == [
        r"\tilde{\lambda}", r"\frac{\lambda}{2}"]
    # an arrow inside braces is no step: \lim_{n \rightarrow \infty}
    assert formula_sides(r"\lim_{n \rightarrow \infty} x") == [r"\lim_{n \rightarrow \infty} x"]


@pytest.mark.parametrize("raw, fraction", [
    ("$\\mathcal{O}(t)$", 1.0),                       # right, inside math
    ("Back-propagation: $O(t)$", 1.0),                # right, after a label
    ("$\\mathcal{O}(t^2)$", 0.0),                     # wrong
    ("Wrong: O(t)", 0.0),                             # a label that negates says nothing
    ("$O(t", 0.0),                                    # malformed: an unclosed '$' is not math
])
def test_text_answers_read_through_the_one_reader(raw, fraction):
    kind, ctx, got = _parse("text", raw)
    assert kind.compare(got, kind.expected("O(t)", ctx), ctx).fraction == fraction


def test_plain_text_removes_latex_markup_only():
    from grader.expr.values import plain_text

    assert plain_text("$C$ and $D$") == "C and D"
    assert plain_text(r"\textbf{\textit{(B)}}") == "(B)"
    assert plain_text("no math here") == "no math here"
    long = "$" + "x" * 300_000
    assert plain_text(long) == long  # too long to be an answer: left as it is, refused later
