"""Markdown to safe HTML for knowledge-base articles (pure: markdown + nh3, no Django models).

Articles are written by tenant staff and read by everyone in the tenant, so the HTML is always
sanitised (nh3, the Rust ammonia sanitiser): an allow-list of tags and attributes, http(s)/mailto
links only, bare http(s):// and www. addresses made links (not inside code or links), and external
links opened with ``rel="nofollow noopener noreferrer"``.
"""

from __future__ import annotations

import html as html_lib
import re
from functools import partial

import markdown
import nh3

ALLOWED_TAGS = frozenset(
    {
        "a", "abbr", "b", "blockquote", "br", "code", "dd", "del", "div", "dl", "dt", "em", "h1", "h2", "h3",
        "h4", "h5", "h6", "hr", "i", "img", "kbd", "li", "ol", "p", "pre", "s", "span", "strong", "sub", "sup",
        "table", "tbody", "td", "tfoot", "th", "thead", "tr", "ul",
    }
)
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title", "rel"},
    "abbr": {"title"},
    "img": {"src", "alt", "title", "width", "height"},
    "th": {"align"},
    "td": {"align"},
    "code": {"class"},
    "div": {"class"},
    "span": {"class"},
    "h1": {"id"}, "h2": {"id"}, "h3": {"id"}, "h4": {"id"},
}
ALLOWED_PROTOCOLS = frozenset({"http", "https", "mailto"})
MARKDOWN_EXTENSIONS = ["extra", "sane_lists", "smarty"]

_SCRIPT_OR_STYLE = re.compile(r"<(script|style)\b.*?</\1\s*>", re.IGNORECASE | re.DOTALL)
_WORD = re.compile(r"[^\W_]{2,}", re.UNICODE)


EXTERNAL_REL = "nofollow noopener noreferrer"
NO_LINKIFY = frozenset({"a", "pre", "code"})  # text inside these stays text

_TAG = re.compile(r"(<[^>]*>)")
_TAG_NAME = re.compile(r"<\s*(/?)\s*([a-zA-Z0-9]+)")
_A_TAG = re.compile(r"<a\b([^>]*)>")
_ATTR = re.compile(r'\s([a-zA-Z_:][-a-zA-Z0-9_:.]*)="([^"]*)"')
# A bare address in text: a scheme or "www.", up to whitespace or a character that cannot end it.
_BARE_URL = re.compile(r"\b(?:https?://|www\.)[^\s<>\"']+[^\s<>\"'.,;:!?)\]]", re.IGNORECASE)

_clean = partial(
    nh3.clean,
    tags=set(ALLOWED_TAGS),
    attributes=ALLOWED_ATTRIBUTES,
    url_schemes=set(ALLOWED_PROTOCOLS),
    strip_comments=True,
    link_rel=None,  # rel is set below, on external links only (as authors' own rel on others stays)
)


def _linkify(html: str) -> str:
    """Make bare web addresses in text links; text inside links, code and pre stays as it is."""
    parts = _TAG.split(html)
    open_skips = 0
    for index, part in enumerate(parts):
        if index % 2:  # a tag
            match = _TAG_NAME.match(part)
            if match and match.group(2).lower() in NO_LINKIFY:
                open_skips += -1 if match.group(1) else 1
        elif part and open_skips <= 0:
            parts[index] = _BARE_URL.sub(_link_for, part)
    return "".join(parts)


def _link_for(match: re.Match) -> str:
    text = match.group(0)
    href = text if "://" in text else f"http://{text}"
    return f'<a href="{href}">{text}</a>'


def _external_rel(match: re.Match) -> str:
    attrs = dict(_ATTR.findall(" " + match.group(1)))
    if not attrs.get("href", "").startswith(("http://", "https://")):
        return match.group(0)
    attrs["rel"] = EXTERNAL_REL
    return "<a" + "".join(f' {name}="{value}"' for name, value in attrs.items()) + ">"


def render_markdown(text: str) -> str:
    """Markdown to sanitised HTML. Raw HTML in the source survives only if it is on the allow-list;
    script and style elements are dropped with their content."""
    source = _SCRIPT_OR_STYLE.sub("", text or "")
    html = _clean(markdown.markdown(source, extensions=MARKDOWN_EXTENSIONS, output_format="html"))
    # nh3's output is normalised (double-quoted, escaped attributes), so links are found by pattern;
    # the result is cleaned again, so nothing the two steps add can escape the allow-list.
    return _clean(_A_TAG.sub(_external_rel, _linkify(html)))


def plain_excerpt(text: str, length: int = 180) -> str:
    """A one-line plain-text excerpt of markdown (markup stripped), cut at a word boundary."""
    html = markdown.markdown(text or "", extensions=MARKDOWN_EXTENSIONS)
    plain = " ".join(html_lib.unescape(nh3.clean(html, tags=set())).split())
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
