"""What every browser test shares: Debian's Chromium, its launch flags, the screenshot folder and the marks.

The fixtures `chromium_browser` and `browser_page` live in tests/conftest.py.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from urllib.parse import urlsplit

import pytest

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"  # git-ignored
AXE = Path(__file__).resolve().parent / "vendor" / "axe-core" / "axe.min.js"  # 4.14.1, MPL-2.0
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]

BROWSER_MARKS = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not CHROMIUM.exists(), reason="Debian's Chromium is not installed at /usr/bin/chromium (apt-get install -y chromium)"
    ),
]

# Where signing in (or "/") leads: the workspace overview, or the dashboard of the member's role (workspace.landing).
LANDING_PATHS = ("/", "/dashboards/portfolio/", "/dashboards/my-book/", "/dashboards/support/")


def wait_for_landing(page, base: str, path: str | None = None) -> None:
    """After signing in: wait for the member's landing page (``path`` when the test knows which)."""
    expected = (path,) if path else LANDING_PATHS
    page.wait_for_url(lambda url: url.startswith(base) and urlsplit(url).path in expected)


def axe_violations(page) -> list[dict]:
    """Run axe-core (WCAG 2.0/2.1 A and AA rules) on the page as it is now; its violations."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.add_script_tag(content=AXE.read_text(encoding="utf-8"))
    return page.evaluate(
        """async (tags) => {
            const result = await axe.run(document, {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']});
            return result.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                nodes: v.nodes.map(n => ({target: n.target.join(' '), html: n.html}))}));
        }""",
        AXE_TAGS,
    )


def describe_violations(violations: list[dict]) -> str:
    lines = []
    for v in violations:
        for node in v["nodes"]:
            lines.append(f"- {v['id']} ({v['impact']}): {v['help']}\n    at {node['target']}\n    {node['html'][:300]}")
    return "\n".join(lines)


AXE_LOG = ARTIFACTS / "axe.jsonl"  # one line per check (label, url, violation count): the tally of a run


SETTLED = """() => !document.querySelector('.htmx-request, .htmx-swapping, .htmx-settling, .htmx-added')
    && document.getAnimations().every(a => a.playState !== 'running'
        || (a.effect && a.effect.getTiming().iterations === Infinity))"""


def settle(page) -> None:
    """Wait until no HTMX swap is under way and no CSS transition runs: axe measures colour contrast on what
    is painted, and a row fading in (opacity < 1) is not what the user reads once the swap has settled."""
    page.wait_for_function(SETTLED, timeout=5_000)


def assert_accessible(page, label: str) -> None:
    """Fail with rule id, impact, target selector and HTML of every WCAG 2.x A/AA violation axe finds."""
    if page.evaluate("document.contentType") != "text/html":
        return  # a JSON or file response shown by the browser: not a page of ours to check
    settle(page)
    violations = axe_violations(page)
    count = sum(len(v["nodes"]) for v in violations)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with AXE_LOG.open("a", encoding="utf-8") as log:
        log.write(json.dumps({"label": label, "url": page.url, "violations": count,
                              "rules": sorted({v["id"] for v in violations}),
                              "nodes": [f"{v['id']}: {n['target']} {n['html'][:160]}" for v in violations for n in v["nodes"]]})
                  + "\n")
    if os.environ.get("AXE_TALLY_ONLY"):  # measuring only (counts before a fix); never set in CI
        return
    assert not violations, f"axe: {count} WCAG 2.x A/AA violations on {label} ({page.url}):\n" + describe_violations(
        violations
    )


def shot(page, name: str, *, check: bool = True) -> Path:
    """Save a full-page screenshot as tests/artifacts/<name>.png, after checking the page with axe-core.

    Every state a browser test screenshots is therefore held to WCAG 2.1 A/AA; pass check=False only for a
    state that another shot already covers and that cannot be checked (none today).
    """
    if check:
        assert_accessible(page, name)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.evaluate("window.scrollTo(0, 0)")  # else the sticky top bar lands mid-page in a full-page shot
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
