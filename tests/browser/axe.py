"""axe-core in the browser tests: `assert_accessible(page, "what the page shows")` runs Deque's axe-core
(bundled by the `axe-playwright-python` package, injected by Playwright) on whatever the page shows now
— a full page or a state an htmx swap made — against WCAG 2.0 and 2.1, levels A and AA.

A WCAG violation of impact serious or critical fails the test, with axe's report. Moderate and minor
ones, and axe's best practices (landmarks, heading order: not WCAG success criteria, run alongside), do
not fail it: they are collected and listed at the end of the run (`pytest_terminal_summary` in
conftest.py), and the goal is none of those either.
"""

from __future__ import annotations

from pathlib import Path

import axe_playwright_python
from playwright.sync_api import Page

AXE_SCRIPT = (Path(axe_playwright_python.__file__).parent / "axe.min.js").read_text(encoding="utf-8")
WCAG = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
TAGS = [*WCAG, "best-practice"]
BLOCKING = ("critical", "serious")
# Moderate and minor findings of this run, as report lines (printed at the end of the run).
LISTED: list[str] = []

RUN_AXE = """async ([include, tags]) => {
  const results = await axe.run(include ? {include: [include]} : document,
                                {runOnly: {type: "tag", values: tags}, resultTypes: ["violations"]});
  return results.violations.map(v => ({
    id: v.id, impact: v.impact, help: v.help, tags: v.tags,
    nodes: v.nodes.map(n => ({target: n.target.join(" "), html: n.html.slice(0, 200),
                              summary: n.failureSummary}))}));
}"""


def violations(page: Page, include: str | None = None) -> list[dict]:
    """axe's violations on the page as it is now (within `include`, a CSS selector, if given)."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.evaluate(AXE_SCRIPT)
    return page.evaluate(RUN_AXE, [include, TAGS])


def report(found: list[dict]) -> str:
    lines = []
    for violation in found:
        lines.append(f"{violation['id']} ({violation['impact']}): {violation['help']}")
        for node in violation["nodes"][:5]:
            lines.append(f"    {node['target']}: {node['html']}")
            lines.extend(f"      {line}" for line in (node["summary"] or "").splitlines())
        if len(violation["nodes"]) > 5:
            lines.append(f"    … and {len(violation['nodes']) - 5} more")
    return "\n".join(lines)


def assert_accessible(page: Page, state: str, include: str | None = None) -> None:
    """No serious or critical axe violation in `state` (named in the failure and the listing)."""
    found = violations(page, include)
    blocking = [v for v in found if v["impact"] in BLOCKING and set(v["tags"]) & set(WCAG)]
    others = [v for v in found if v not in blocking]
    if others:
        LISTED.append(f"[{state}] {page.url}\n{report(others)}")
    assert not blocking, f"axe: serious or critical violations in {state} ({page.url}):\n{report(blocking)}"
