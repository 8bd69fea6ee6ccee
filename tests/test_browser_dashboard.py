"""The dashboard in headless Chromium: the ECharts charts are drawn (served from
/vendor/echarts under the page's CSP), and a number opens the list behind it."""
from tests.browser_support import browser, live_server, page, screenshot, sign_in  # noqa: F401

CHARTS = ["channel", "unit", "ontime", "overdue", "grades", "disposals", "rectification", "recovered"]

# True once every chart's canvas has pixels on it (ECharts draws asynchronously).
ALL_DRAWN = """(names) => names.every((name) => {
  const element = document.getElementById('chart-' + name);
  if (!element || element.getAttribute('data-rendered') !== '1') return false;
  const canvas = element.querySelector('canvas');
  if (!canvas || !canvas.width || !canvas.height) return false;
  const pixels = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
  for (let i = 3; i < pixels.length; i += 4) { if (pixels[i] !== 0) return true; }
  return false;
})"""


def test_the_dashboard_draws_its_charts(page):
    problems = []
    page.on("console", lambda message: problems.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: problems.append(str(error)))
    sign_in(page, "office.leader")
    page.click("#nav-dashboard")
    page.wait_for_url("**/dashboard/**")
    # The demo's leads reach back a month: show February and March so far.
    page.fill("#filter-from", "2026-02-01")
    page.click("#dashboard-range button[type=submit]")
    page.wait_for_url("**from=2026-02-01**")

    assert page.locator("h1").first.inner_text().startswith("统计分析")
    page.wait_for_function(ALL_DRAWN, arg=CHARTS, timeout=15_000)
    assert page.locator("[data-chart] canvas").count() >= len(CHARTS)
    assert page.evaluate("typeof echarts") == "object"

    # The channel chart carries the figures of the table beside it, each with its list's URL.
    option = page.evaluate("""() => {
        const chart = echarts.getInstanceByDom(document.getElementById('chart-channel'));
        return chart.getOption().series.map((s) => s.data.map((d) => [d.value, d.url]));
    }""")
    received = sum(value for value, _url in option[0])
    assert received == int(page.locator('#kpi-received a').inner_text()) > 0
    assert all("/dashboard/list?figure=received_channel" in url for _value, url in option[0])

    path = screenshot(page, "dashboard")
    assert path.stat().st_size > 30_000
    assert not [p for p in problems if "Content Security Policy" in p or "echarts" in p.lower()], problems

    # A number opens the list behind it.
    disposals = int(page.locator("#kpi-disposals a").inner_text())
    assert disposals > 0
    page.click("#kpi-disposals a")
    page.wait_for_url("**/dashboard/list?figure=disposal_measure**")
    assert page.locator("#drill-count").inner_text() == str(disposals)
    assert page.locator("#drill-table tbody tr[data-id]").count() == disposals


def test_the_monthly_report_page_renders_and_offers_excel(page):
    sign_in(page, "office.leader")
    page.goto("/dashboard/reports?month=2026-02")
    assert "月报" in page.locator("#report-title").inner_text()
    received = page.locator('#report-figures a[data-figure="received_channel"][data-key=""]').inner_text()
    assert page.locator("#list-received tbody tr[data-id]").count() == int(received) > 0
    with page.expect_download() as download:
        page.click("#download-xlsx")
    assert download.value.suggested_filename == "monthly-report-2026-02-all.xlsx"
    # The print button works under the page CSP (its handler lives in report.js, not inline).
    page.evaluate("window.print = () => { window.printed = true; }")
    page.click("#print-report")
    assert page.evaluate("window.printed === true")
