"""The marking app in a real browser: Debian's headless Chromium driven by Selenium through
Debian's chromium-driver (`.ci/run` installs both as root). A TA marks a part with the
keyboard, applies a rubric item to an answer group, changes the item's points, and two
browser sessions mark at once; then the database and gradebook.csv are checked. Screenshots
go to the test's tmp folder (GRADER_SCREENSHOTS=DIR keeps them)."""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import pytest

from grader import gradebook_db as db
from grader.gradebook import read_gradebook
from tests.marking_class import grade_class, write_class

TOKEN = "browser-test-token"


def _driver_paths() -> tuple[str, str] | None:
    browser = next((shutil.which(n) for n in ("chromium", "chromium-browser") if shutil.which(n)), None)
    driver = shutil.which("chromedriver") or ("/usr/bin/chromedriver" if Path("/usr/bin/chromedriver").exists() else None)
    return (browser, driver) if browser and driver else None


@pytest.fixture(scope="module")
def paths():
    pytest.importorskip("selenium", reason="selenium is not installed (the 'test' extra)")
    pytest.importorskip("waitress", reason="the marking app's packages (the 'mark' extra) are not installed")
    found = _driver_paths()
    if not found:
        pytest.skip("headless Chromium or its driver is not installed "
                    "(Debian: apt-get install -y chromium chromium-driver; .ci/run does it as root)")
    return found


def _browser(paths):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    opts = webdriver.ChromeOptions()
    opts.binary_location = paths[0]
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--window-size=1400,1000", "--lang=en-US"):
        opts.add_argument(arg)
    try:
        return webdriver.Chrome(service=Service(paths[1]), options=opts)
    except Exception as exc:  # noqa: BLE001 - a browser that cannot start here: say why
        pytest.skip(f"headless Chromium did not start: {type(exc).__name__}: {str(exc).splitlines()[0]}")


def _wait(driver, cond, timeout=90.0, what="condition"):
    """Poll `cond` until it holds. The timeout is only a ceiling for a loaded machine: every wait
    is on something the page shows, and returns as soon as it is there."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        try:
            got = cond(driver)
            if got:
                return got
        except Exception:  # noqa: BLE001 - the page is still changing
            pass
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}; status: "
                         f"{driver.find_element('id', 'status').text!r}")


@pytest.fixture
def app(paths, tmp_path):
    from grader.marking.server import Running

    results = grade_class(write_class(tmp_path / "subs", 40, seed=5), tmp_path / "results")
    running = Running(results, TOKEN, grader_name="ta").start()
    shots = Path(os.environ.get("GRADER_SCREENSHOTS") or tmp_path / "shots")
    shots.mkdir(parents=True, exist_ok=True)
    yield running, results, shots
    running.stop()


def _open(driver, url, part):
    from selenium.webdriver.common.by import By

    driver.get(url)
    _wait(driver, lambda d: d.find_element(By.TAG_NAME, "h2").text.startswith("Part "), what="the first part")
    _click(driver, f'button.part[data-part="{part}"]')
    _wait(driver, lambda d: f"Part {part}:" in d.find_element(By.TAG_NAME, "h2").text, what=f"part {part}")


def _click(driver, selector):
    """Click what the selector finds once it holds still (the page re-renders after each answer)."""
    from selenium.webdriver.common.by import By

    def attempt(d):
        d.find_element(By.CSS_SELECTOR, selector).click()
        return True

    _wait(driver, attempt, what=f"a click on {selector}")


def _alert(driver):
    """The page's prompt() once it is open (it opens after the click's handler runs)."""
    from selenium.common.exceptions import NoAlertPresentException

    def attempt(d):
        try:
            return d.switch_to.alert
        except NoAlertPresentException:
            return None

    return _wait(driver, attempt, what="the prompt")


def _current_group(driver) -> list[str]:
    """The current answer group's classes, read again if the page re-rendered under the read."""
    return _wait(driver, lambda d: d.find_element("css selector", "li.group.current").get_attribute("class").split(),
                 what="the current answer group")


def _text(driver, element_id) -> str:
    return _wait(driver, lambda d: d.find_element("id", element_id).text or None, what=f"#{element_id}")


def _keys(driver, keys):
    from selenium.webdriver.common.action_chains import ActionChains

    ActionChains(driver).send_keys(keys).perform()


def test_a_ta_marks_a_part_in_the_browser(app, paths):
    from selenium.webdriver.common.by import By

    running, results, shots = app
    driver = _browser(paths)
    try:
        _open(driver, running.url, "3.3")
        assert "token" not in driver.current_url  # it left the address bar
        conn = db.connect(results)
        view = db.part_view(conn, "3.3")
        group0 = [s["student"] for s in view["groups"][0]["students"]]
        # keyboard: 1 applies the first rubric item to the whole first group
        _keys(driver, "1")
        _wait(driver, lambda d: "applied item 1" in d.find_element(By.ID, "status").text, what="the mark")
        driver.save_screenshot(str(shots / "1-group-marked.png"))
        assert {r[0] for r in conn.execute("SELECT student FROM applied WHERE part='3.3'")} == set(group0)
        progress = _text(driver, "part-progress")
        assert progress.startswith(f"{len(group0)} of 40 students marked")
        # j moves to the next group, 2 and 4 apply items there; n jumps to the next ungraded group
        _keys(driver, "j")
        _keys(driver, "2")
        _wait(driver, lambda d: "applied item 2" in d.find_element(By.ID, "status").text, what="item 2")
        _keys(driver, "4")
        _wait(driver, lambda d: "applied item 4" in d.find_element(By.ID, "status").text, what="item 4")
        group1 = [s["student"] for s in view["groups"][1]["students"]]
        for s in group1:
            assert db.mark_state(conn, s, "3.3")["score"] == 1.75
        _keys(driver, "n")
        _wait(driver, lambda d: "Answer group 3 of" in d.find_element(By.TAG_NAME, "h3").text, what="group 3")
        # change item 1's points in the page: everyone in group 0 is re-scored
        _click(driver, "#rubric li.item button.edit")
        _alert(driver).accept()  # keep the text
        alert = _alert(driver)
        alert.send_keys("0.5")
        alert.accept()
        _wait(driver, lambda d: "re-scored" in d.find_element(By.ID, "status").text, what="the edit")
        assert {db.mark_state(conn, s, "3.3")["score"] for s in group0} == {0.5}
        # a comment for one student of group 1
        _keys(driver, "k")
        _click(driver, f'tr[data-student="{group1[0]}"]')
        _wait(driver, lambda d: f"marking {group1[0]} only" in d.find_element(By.ID, "whom").text,
              what="the page to say whom the marks go to")
        box = driver.find_element(By.ID, "comment")
        box.send_keys("Good, but <b>why</b>?")
        _click(driver, "#save-feedback")
        _wait(driver, lambda d: d.find_element(By.ID, "status").text == "saved", what="the comment")
        assert db.mark_state(conn, group1[0], "3.3")["comment"] == "Good, but <b>why</b>?"
        driver.save_screenshot(str(shots / "2-comment.png"))
        assert not driver.find_elements(By.CSS_SELECTOR, "#part b b")  # shown as text, not markup
    finally:
        driver.quit()
    running.refresher.flush()
    rows = {r["student"]: r for r in read_gradebook(results / "gradebook.csv")}
    assert {rows[s]["3.3"] for s in group0} == {"0.5"} and {rows[s]["3.3"] for s in group1} == {"1.75"}
    assert rows[group0[0]]["total"] == "51.5"


def test_two_browser_sessions_mark_at_once(app, paths):
    from selenium.webdriver.common.by import By

    running, results, shots = app
    a, b = _browser(paths), _browser(paths)
    try:
        _open(a, running.url, "3.3")
        _open(b, running.url, "3.3")
        for d, name in ((a, "ana"), (b, "ben")):
            who = d.find_element(By.ID, "who")
            who.clear()
            who.send_keys(name)
            d.find_element(By.TAG_NAME, "h2").click()  # leave the field
        # both on the first group at the same moment, different items
        _keys(a, "1")
        _keys(b, "3")
        _wait(a, lambda d: "applied item 1" in d.find_element(By.ID, "status").text, what="ana's mark")
        _wait(b, lambda d: "applied item 3" in d.find_element(By.ID, "status").text, what="ben's mark")
        conn = db.connect(results)
        group0 = [s["student"] for s in db.part_view(conn, "3.3")["groups"][0]["students"]]
        for s in group0:
            st = db.mark_state(conn, s, "3.3")
            assert st["score"] == 2.5, (s, st)  # 1.25 + 1.25: neither lost the other's
        whom = {r[0] for r in conn.execute("SELECT applied_by FROM applied WHERE part='3.3'")}
        assert whom == {"ana", "ben"}
        # ana's page picks up ben's item without a reload (it polls the marks)
        _wait(a, lambda d: d.find_elements(By.CSS_SELECTOR, "#rubric input[type=checkbox]")[2].is_selected(),
              timeout=15, what="ben's mark on ana's page")
        a.save_screenshot(str(shots / "3-two-sessions.png"))
        # hostile answers: nothing ran (the title is untouched) in any group of any part
        for part in ("3.1", "3.2", "3.3", "4.1", "4.2"):  # one kind of hostile answer each
            _click(a, f'button.part[data-part="{part}"]')
            _wait(a, lambda d, p=part: f"Part {p}:" in d.find_element(By.TAG_NAME, "h2").text)
            groups = len(a.find_elements(By.CSS_SELECTOR, "li.group"))
            typeset = 0
            for _ in range(groups):
                _keys(a, "j")
                assert not a.find_elements(By.CSS_SELECTOR, "#answer script, #answer img, #answer svg, #answer a")
                typeset += len(a.find_elements(By.CSS_SELECTOR, "#answer .katex"))
            if part == "3.1":  # its answers hold $...$ math: typeset by the bundled KaTeX
                assert typeset > 0
            assert a.title.startswith("Marking:") and "pwned" not in a.title
    finally:
        a.quit()
        b.quit()
    running.refresher.flush()
    rows = {r["student"]: r for r in read_gradebook(results / "gradebook.csv")}
    assert {rows[s]["3.3"] for s in group0} == {"2.5"}


def test_a_ta_marks_every_hand_graded_part_with_the_keyboard_and_the_imports_follow(paths, tmp_path):
    """The issue's "done when": every hand-graded part of uva-dl1-resit-2022 marked in the app
    (rubric item 1 for every answer group, then `n` to the next ungraded group), and the
    Canvas and Gradescope files carry automatic + manual totals."""
    import csv

    from selenium.webdriver.common.by import By

    from grader.marking.server import Running
    from grader.spec import load_problem
    from tests.marking_class import MANUAL, PROBLEM

    results = grade_class(write_class(tmp_path / "subs", 8, seed=11, hostile=False), tmp_path / "results")
    running = Running(results, TOKEN, grader_name="ta").start()
    driver = _browser(paths)
    try:
        _open(driver, running.url, MANUAL[0])
        for part in MANUAL:
            here = lambda d, p=part: f"Part {p}:" in d.find_element(By.TAG_NAME, "h2").text  # noqa: E731
            if not _wait(driver, lambda d, h=here: [h(d)], what="the heading")[0]:  # n may have brought us here
                _click(driver, f'button.part[data-part="{part}"]')
                _wait(driver, here, what=f"part {part}")
            groups = len(driver.find_elements(By.CSS_SELECTOR, "li.group"))
            for _ in range(groups):
                if _text(driver, "part-progress").startswith("8 of 8"):
                    break
                # the current group is one nobody marked: 1 marks all of it, then n moves on (to
                # the next unmarked group, or once the part is done, to the next part)
                assert "done" not in _current_group(driver), part
                _keys(driver, "1")
                _wait(driver, lambda d: "done" in _current_group(d), what=f"the group marked on {part}")
                _keys(driver, "n")
                _wait(driver, lambda d, h=here: not h(d) or "done" not in _current_group(d)
                      or "every answer of every part" in d.find_element(By.ID, "status").text,
                      what=f"the next unmarked group after {part}")
                if not _wait(driver, lambda d, h=here: [h(d)], what="the heading")[0]:
                    break
            _wait(driver, lambda d, p=part: d.find_element(
                By.CSS_SELECTOR, f'button.part[data-part="{p}"] .progress').text.startswith("8/8 marked"),
                what=f"part {part} shown as marked")
        _wait(driver, lambda d: all(b.get_attribute("class").endswith("done")
                                    for b in d.find_elements(By.CSS_SELECTOR, "button.part")), what="all done")
        driver.save_screenshot(str(tmp_path / "all-marked.png"))
    finally:
        driver.quit()
        running.stop()
    problem = load_problem(PROBLEM)
    manual = sum(min(p.points, p.options["rubric"][0]["points"]) for p in problem.parts if p.type == "manual")
    expected = 51 + manual
    canvas = list(csv.reader(open(results / "canvas.csv", encoding="utf-8", newline="")))
    assert {float(r[-1]) for r in canvas[2:]} == {expected} and len(canvas) == 2 + 8
    gradescope = list(csv.DictReader(open(results / "gradescope.csv", encoding="utf-8", newline="")))
    assert {float(r["Total Score"]) for r in gradescope} == {expected}
    assert {float(r["total"]) for r in read_gradebook(results / "gradebook.csv")} == {expected}
