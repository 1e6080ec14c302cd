"""Markdown to safe HTML for knowledge-base articles (pure: markdown + bleach, no Django models).

Articles are written by tenant staff and read by everyone in the tenant, so the HTML is always
sanitised: an allow-list of tags and attributes, http(s)/mailto links only, and external links
opened with ``rel="nofollow noopener noreferrer"``.
"""

from __future__ import annotations

import html as html_lib
import re
from functools import partial

import bleach
import markdown
from bleach.linkifier import LinkifyFilter

ALLOWED_TAGS = frozenset(
    {
        "a", "abbr", "b", "blockquote", "br", "code", "dd", "del", "div", "dl", "dt", "em", "h1", "h2", "h3",
        "h4", "h5", "h6", "hr", "i", "img", "kbd", "li", "ol", "p", "pre", "s", "span", "strong", "sub", "sup",
        "table", "tbody", "td", "tfoot", "th", "thead", "tr", "ul",
    }
)
ALLOWED_ATTRIBUTES = {
    "a": ["href", "title", "rel"],
    "abbr": ["title"],
    "img": ["src", "alt", "title", "width", "height"],
    "th": ["align"],
    "td": ["align"],
    "code": ["class"],
    "div": ["class"],
    "span": ["class"],
    "h1": ["id"], "h2": ["id"], "h3": ["id"], "h4": ["id"],
}
ALLOWED_PROTOCOLS = frozenset({"http", "https", "mailto"})
MARKDOWN_EXTENSIONS = ["extra", "sane_lists", "smarty"]

_SCRIPT_OR_STYLE = re.compile(r"<(script|style)\b.*?</\1\s*>", re.IGNORECASE | re.DOTALL)
_WORD = re.compile(r"[^\W_]{2,}", re.UNICODE)


def _external_rel(attrs: dict, new: bool = False) -> dict:
    href = attrs.get((None, "href"), "")
    if href.startswith(("http://", "https://")):
        attrs[(None, "rel")] = "nofollow noopener noreferrer"
    return attrs


_CLEANER = bleach.Cleaner(
    tags=ALLOWED_TAGS,
    attributes=ALLOWED_ATTRIBUTES,
    protocols=ALLOWED_PROTOCOLS,
    strip=True,
    strip_comments=True,
    filters=[partial(LinkifyFilter, callbacks=[_external_rel], skip_tags={"pre", "code"})],
)


def render_markdown(text: str) -> str:
    """Markdown to sanitised HTML. Raw HTML in the source survives only if it is on the allow-list;
    script and style elements are dropped with their content."""
    source = _SCRIPT_OR_STYLE.sub("", text or "")
    return _CLEANER.clean(markdown.markdown(source, extensions=MARKDOWN_EXTENSIONS, output_format="html"))


def plain_excerpt(text: str, length: int = 180) -> str:
    """A one-line plain-text excerpt of markdown (markup stripped), cut at a word boundary."""
    html = markdown.markdown(text or "", extensions=MARKDOWN_EXTENSIONS)
    plain = " ".join(html_lib.unescape(bleach.clean(html, tags=set(), strip=True)).split())
    if len(plain) <= length:
        return plain
    return plain[:length].rsplit(" ", 1)[0].rstrip(".,;:") + "…"


def keywords(text: str, limit: int = 40) -> list[str]:
    """Distinct words of ``text`` (letters and digits only, 3+ chars, first ``limit``), lower-cased.

    Used to turn a ticket's subject and description into an OR full-text query.
    """
    seen: dict[str, None] = {}
    for match in _WORD.finditer(text or ""):
        word = match.group(0).lower()
        if len(word) >= 3 and word not in seen and word not in {"and", "not", "the"}:
            seen[word] = None
            if len(seen) >= limit:
                break
    return list(seen)
