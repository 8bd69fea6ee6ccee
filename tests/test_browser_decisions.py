"""The administrators' decision table editor (web/modeler/decisions/, templates/admin/decision_editor.html) in
headless Chromium, against the real /admin/api/decisions endpoints and the engine behind them: the shipped
risk grading table is opened in dmn-js, a rule's cell is edited, a broken cell is marked and then fixed,
the table is evaluated on sample inputs before it is deployed, and the deploy makes version 2.

`edit_cell(page, rule_row, column_index, text)` types into a cell as an administrator does; later tests
(a new risk assessment getting the new grade) reuse it with `open_editor`, `wait_checked` and `deploy`.
"""
import re
import subprocess
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import undefer

from engine.identity import SYSTEM
from engine.store.decision_models import DecisionDefinition
from tests.browser_support import browser, live_server, page, screenshot, sign_in  # noqa: F401

ROOT = Path(__file__).resolve().parents[1]
SOURCES = ROOT / "web" / "modeler"
BUNDLE = ROOT / "web" / "static" / "build" / "decisions.js"
GRADING = ROOT / "processes" / "decisions" / "risk_grading.dmn"
TEMPLATE = ROOT / "web" / "templates" / "admin" / "decision_editor.html"
CATALOG = ROOT / "web" / "translations" / "decisions" / "zh" / "LC_MESSAGES" / "messages.po"
KEY = "risk_grading"
# The grading table's columns, in order: people involved, money at risk, opinion heat, stability risk; grade.
PEOPLE, MONEY, HEAT, STABILITY, GRADE = range(5)


@pytest.fixture(scope="module", autouse=True)
def decisions_bundle():
    """`./dev` builds the bundles (npm run build); rebuild here if a source is newer, so a plain pytest
    run after editing web/modeler/ tests what was edited."""
    sources = [p for p in SOURCES.rglob("*") if p.is_file() and "test" not in p.relative_to(SOURCES).parts]
    stale = not BUNDLE.exists() or max(p.stat().st_mtime for p in sources) > BUNDLE.stat().st_mtime
    if stale:
        if not (ROOT / "node_modules" / ".bin" / "esbuild").exists():
            pytest.fail("the editor is not built and esbuild is missing: run ./dev setup")
        subprocess.run(["npm", "run", "--silent", "build"], cwd=ROOT, check=True, timeout=300)
    return BUNDLE


# -- helpers (reused by later tests of the grading table) ------------------------------------------

def versions(session_factory, key=KEY) -> list[DecisionDefinition]:
    with session_factory() as session:
        return session.scalars(select(DecisionDefinition).where(DecisionDefinition.decision_key == key)
                               .order_by(DecisionDefinition.version)
                               .options(undefer(DecisionDefinition.source_xml))).all()


def ensure_grading_deployed(demo, session_factory) -> int:
    """The shipped grading table, deployed (the demo does it; identical files deploy nothing): its version."""
    if not versions(session_factory):
        demo.extensions["duban"].engine.deploy_decisions(GRADING.read_bytes(), GRADING.name, SYSTEM)
    return versions(session_factory)[-1].version


def open_editor(page, path=f"/admin/decisions/{KEY}/editor") -> list:
    """Sign in as the administrator and open the editor; returns the list the page's errors go to."""
    sign_in(page, "admin")
    errors = []
    page.on("pageerror", lambda err: errors.append(str(err)))
    page.goto(path)
    page.wait_for_selector('#decisions-app[data-state="ready"]')
    page.wait_for_selector("#decision-canvas td[data-col-id]")
    return errors


def cell(page, rule_row: int, column_index: int):
    """The cell of rule `rule_row` (1-based, as the editor numbers rules) in column `column_index`
    (0-based over the input columns, then the output columns)."""
    return page.locator("#decision-canvas tbody tr").nth(rule_row - 1).locator("td[data-col-id]").nth(column_index)


def cell_text(page, rule_row: int, column_index: int) -> str:
    """What the model holds for that cell (not what is on screen while it is being typed)."""
    element_id = cell(page, rule_row, column_index).get_attribute("data-element-id")
    return page.evaluate("""(id) => {
      const viewer = window.dubanDecisions.getActiveViewer();
      return viewer.get('elementRegistry').get(id).businessObject.text;
    }""", element_id)


def edit_cell(page, rule_row: int, column_index: int, text: str) -> None:
    """Click the cell, replace its text by typing, and leave it, as an administrator does; waits until
    the table's model holds the new text."""
    target = cell(page, rule_row, column_index)
    target.scroll_into_view_if_needed()
    target.click()
    editor = target.locator("[contenteditable='true']").first
    editor.wait_for()
    page.keyboard.press("Control+A")
    page.keyboard.press("Delete")
    page.keyboard.type(text)
    page.wait_for_function("""([row, column, text]) => {
      const cells = document.querySelectorAll('#decision-canvas tbody tr')[row - 1].querySelectorAll('td[data-col-id]');
      const id = cells[column].dataset.elementId;
      const viewer = window.dubanDecisions.getActiveViewer();
      return viewer.get('elementRegistry').get(id).businessObject.text === text;
    }""", arg=[rule_row, column_index, text])
    page.locator("#decision-source").click()  # leave the cell


def wait_checked(page) -> None:
    """Wait for the quiet check that follows the last change to be shown."""
    page.wait_for_function("""() => {
      const root = document.getElementById('decisions-app');
      return !root.dataset.checking && root.dataset.checked === String(window.dubanDecisionsPage.revision);
    }""")


def evaluate(page, values: dict) -> None:
    """Fill the evaluate panel (by column label) and evaluate; waits for the answer."""
    for label, value in values.items():
        field = page.locator("#evaluate-inputs .evaluate-field").filter(has=page.locator(f"label:text-is('{label}')"))
        control = field.locator("input, select").first
        if control.evaluate("el => el.tagName") == "SELECT":
            control.select_option(str(value))
        else:
            control.fill(str(value))
    page.evaluate("() => { delete document.getElementById('evaluate-result').dataset.state; }")
    page.click("#btn-evaluate")
    page.wait_for_function("() => document.getElementById('evaluate-result').dataset.state")


def deploy(page, comment: str) -> str:
    """Deploy with a comment; returns the status line."""
    page.fill("#deploy-comment", comment)
    page.evaluate("() => { document.getElementById('decisions-status').dataset.kind = 'pending'; }")
    page.click("#btn-deploy")
    page.wait_for_function("() => document.getElementById('decisions-status').dataset.kind !== 'pending'")
    return page.inner_text("#decisions-status")


# -- the grading table, edited, checked, evaluated and deployed ---------------------------------------

def test_admin_edits_the_grading_table_checks_evaluates_and_deploys_it(page, demo, session_factory):
    before = ensure_grading_deployed(demo, session_factory)
    sign_in(page, "admin")
    page.goto("/admin/")
    page.click("#decisions-link")
    page.wait_for_selector(f'#decision-table tr[data-decision-key="{KEY}"]')
    screenshot(page, "decisions-list")
    page.goto("/admin/")
    errors = open_editor(page)

    # Straight into the table, in Chinese: the hit policy, the columns by label, rule 2's threshold.
    assert f"版本 {before}" in page.inner_text("#decision-source")
    head = page.inner_text("#decision-canvas")
    assert "首条命中（FIRST）" in head and "涉众规模（人）" in head and "当" in head and "则" in head
    assert cell_text(page, 2, PEOPLE) == ">= 100"
    wait_checked(page)
    assert page.get_attribute("#decision-problems", "data-errors") == "0"

    # A broken cell: marked red where it is, listed with its rule and column, then fixed.
    edit_cell(page, 2, PEOPLE, ">= 5O")
    wait_checked(page)
    broken = cell(page, 2, PEOPLE)
    assert broken.get_attribute("data-duban-severity") == "error"
    assert "无法识别数字“5O”" in broken.get_attribute("title")  # the message, as the cell's tooltip
    problem = page.locator("#error-list li.problem").first
    assert problem.get_attribute("data-element-id") == broken.get_attribute("data-element-id")
    assert "规则 2，涉众规模（人）" in problem.inner_text()
    screenshot(page, "decisions-cell-problem")
    problem.locator("a.problem-place").click()  # scrolls to the cell
    edit_cell(page, 2, PEOPLE, ">= 50")
    wait_checked(page)
    assert page.get_attribute("#decision-problems", "data-errors") == "0"
    assert cell(page, 2, PEOPLE).get_attribute("data-duban-severity") is None

    # Evaluated before deploying: 60 people now makes rule 2 (red) the first match.
    evaluate(page, {"涉众规模（人）": 60, "风险敞口（元）": 0, "舆论热度": "low", "涉稳隐患": "none"})
    result = page.locator("#evaluate-result")
    assert result.get_attribute("data-state") == "ok", result.inner_text()
    assert result.get_attribute("data-matched-rows") == "2"
    assert '"red"' in page.inner_text("#evaluate-outputs")
    assert cell(page, 2, GRADE).get_attribute("data-duban-matched") == "yes"
    assert cell(page, 1, GRADE).get_attribute("data-duban-matched") is None
    screenshot(page, "decisions-evaluated")
    assert versions(session_factory)[-1].version == before  # evaluating deployed nothing

    # Deployed as the next version, with its comment; the diff shows the changed cell.
    status = deploy(page, "涉众规模红色门槛调整为50人")
    assert f"版本 {before + 1}" in status, status
    latest = versions(session_factory)[-1]
    assert (latest.version, latest.comment, latest.deployed_by) == (before + 1, "涉众规模红色门槛调整为50人", "admin")
    assert b"&gt;= 50" in latest.source_xml
    assert page.url.endswith(f"/admin/decisions/{KEY}/editor?version={before + 1}")
    page.goto(f"/admin/decisions/{KEY}/diff?a={before}&b={before + 1}")
    change = page.locator('#diff-changes tr[data-element-id="rule_2"]').first
    assert ">= 100" in change.inner_text() and ">= 50" in change.inner_text()
    screenshot(page, "decisions-diff")
    assert not errors, errors


def test_a_new_table_from_the_template_evaluates_and_says_why_unique_fails(page, session_factory):
    errors = open_editor(page, "/admin/decisions/editor")
    assert "新建决策表" in page.inner_text("#decisions-status") or "新决策" in page.inner_text("#decision-source")
    # The template's one rule matches anything.
    evaluate(page, {"输入": "x"})
    assert page.get_attribute("#evaluate-result", "data-matched-rows") == "1"
    assert '"ok"' in page.inner_text("#evaluate-outputs")
    # A second rule that matches everything too: UNIQUE gives no result, and both rows are shown.
    page.click("#decision-canvas .add-rule-add")
    page.wait_for_function("() => document.querySelectorAll('#decision-canvas tbody tr').length === 2")
    edit_cell(page, 2, 1, '"again"')
    wait_checked(page)
    assert page.get_attribute("#decision-problems", "data-warnings") == "1"  # the overlap, under UNIQUE
    assert cell(page, 2, 0).get_attribute("data-duban-severity") == "warning"
    screenshot(page, "decisions-overlap-warning")
    evaluate(page, {"输入": "x"})
    assert page.get_attribute("#evaluate-result", "data-state") == "failed"
    assert "同时匹配" in page.inner_text("#evaluate-error")
    assert page.get_attribute("#evaluate-result", "data-matched-rows") == "1,2"
    # Its key, which business rule tasks name: a bad one is refused, a good one deploys as a new decision.
    page.fill("#decision-key", "1 bad")
    page.press("#decision-key", "Enter")
    page.wait_for_function("() => document.getElementById('decisions-status').dataset.kind === 'warning'")
    page.fill("#decision-key", "template_probe")
    page.press("#decision-key", "Enter")
    page.wait_for_function("() => document.getElementById('decisions-app').dataset.key === 'template_probe'")
    status = deploy(page, "模板试用")
    assert "新决策 版本 1" in status, status
    assert [(d.version, d.name, d.comment) for d in versions(session_factory, "template_probe")] == [(1, "新决策", "模板试用")]
    assert not errors, errors


def test_a_file_with_two_tables_is_uploaded_switched_evaluated_and_downloaded(page, tmp_path):
    from tests import dmn_builder as dmn
    upload = tmp_path / "two_tables.dmn"
    upload.write_bytes(dmn.definitions(
        dmn.decision("channel_deadline", [("线索来源", "channel", "string")], [("days", "integer")],
                     [(['"hotline_12345"'], ["5"]), (["-"], ["10"])], policy="FIRST", name="反馈期限"),
        dmn.decision("card_points", [("逾期天数", "late_days", "integer")], [("points", "integer")],
                     [(["> 3"], ["5"]), (["<= 3"], ["2"])], name="扣分标准")))
    errors = open_editor(page, "/admin/decisions/editor")
    page.set_input_files("#upload-input", str(upload))
    page.wait_for_function("() => document.getElementById('decisions-status').innerText.includes('two_tables.dmn')")
    assert "反馈期限" in page.inner_text("#decision-source")
    assert page.is_visible("#decision-choice")
    assert page.eval_on_selector_all("#decision-choice option", "os => os.map(o => o.textContent)") == ["反馈期限", "扣分标准"]
    page.select_option("#decision-choice", "card_points")
    page.wait_for_function("() => document.getElementById('decisions-app').dataset.key === 'card_points'")
    evaluate(page, {"逾期天数": 4})
    assert page.get_attribute("#evaluate-result", "data-matched-rows") == "1"
    assert "5" in page.inner_text("#evaluate-outputs")
    with page.expect_download() as download_info:
        page.click("#btn-download")
    assert download_info.value.suggested_filename == "card_points.dmn"
    saved = Path(download_info.value.path()).read_text(encoding="utf-8")
    assert 'id="channel_deadline"' in saved and 'id="card_points"' in saved
    assert not errors, errors


def test_the_editor_speaks_english_when_asked(page, demo, session_factory):
    ensure_grading_deployed(demo, session_factory)
    sign_in(page, "admin")
    for _attempt in range(3):  # a request of the page before may still write the session cookie back
        page.goto("/lang/en")
        page.wait_for_load_state("networkidle")
        if page.evaluate("document.documentElement.lang") == "en":
            break
    page.goto(f"/admin/decisions/{KEY}/editor")
    page.wait_for_selector('#decisions-app[data-state="ready"]')
    text = page.inner_text("#decisions-app")
    assert "Hit policy" in text and "First" in text and "Evaluate" in text
    assert "命中策略" not in text


def test_the_page_says_so_when_the_editor_bundle_cannot_load(page):
    sign_in(page, "admin")
    page.route("**/decisions.js*", lambda route: route.fulfill(status=404, body="not built"))
    page.goto("/admin/decisions/editor")
    page.wait_for_selector("#modeler-missing", state="visible")


def test_every_string_the_editor_script_shows_is_in_the_page_and_the_chinese_catalog():
    used = set()
    for path in (SOURCES / "decisions").glob("*.js"):
        text = path.read_text(encoding="utf-8")
        used |= {m.group(2).replace("\\'", "'") for m in re.finditer(r"\bt\((['])((?:\\.|(?!\1).)*)\1", text)}
        used |= set(re.findall(r"error: '((?:[^'\\]|\\.)*)'", text))
    template = TEMPLATE.read_text(encoding="utf-8")
    keys = {key.replace('\\"', '"') for key in re.findall(r'^\s*"((?:[^"\\]|\\.)*)": _\(', template, re.M)}
    assert used - keys == set()
    from babel.messages.pofile import read_po
    translated = set()
    for catalog_path in CATALOG.parents[3].glob("*/zh/LC_MESSAGES/messages.po"):
        with catalog_path.open("rb") as handle:
            translated |= {message.id for message in read_po(handle) if message.id and message.string}
    assert keys - translated == set()


def test_every_dmn_problem_template_has_its_chinese():
    from babel.messages.pofile import read_po

    from web.admin_decisions import PROBLEM_TEMPLATES
    with CATALOG.open("rb") as handle:
        translated = {message.id for message in read_po(handle) if message.string}
    assert set(PROBLEM_TEMPLATES) - translated == set()
