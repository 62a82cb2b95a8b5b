"""Web text: remove HTML tags and decode character entities (``<br />`` is frequent in movie-review corpora).

Only tags of known HTML elements (and comments) are removed, so ``a < b > c`` and ``<3`` stay as they are. A tag
that separates words (``<br>``, ``<p>``, ``<li>``, ...) becomes a space, any other (``<b>``, ``<a href=...>``) is
removed; then entities (``&amp;``, ``&#39;``) are decoded with :func:`html.unescape`.

The ``strip_html`` option of the users' file loaders is ``True``, ``False`` or ``"auto"``: remove HTML when at least
:data:`AUTO_MIN_SHARE` of the training file's non-empty texts hold a tag. The Kim benchmark files are never changed.
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence

STRIP_HTML_CHOICES = (True, False, "auto")
#: ``strip_html="auto"`` removes HTML when at least this share of the (non-empty) training texts holds a tag.
AUTO_MIN_SHARE = 0.05
_BLOCK = ("br", "p", "div", "li", "ul", "ol", "dl", "dt", "dd", "tr", "td", "th", "table", "thead", "tbody",
          "h1", "h2", "h3", "h4", "h5", "h6", "hr", "blockquote", "pre", "center")  # fmt: skip
_INLINE = ("a", "abbr", "b", "big", "code", "em", "font", "i", "img", "q", "s", "small", "span", "strike", "strong",
           "sub", "sup", "tt", "u")  # fmt: skip
_TAG = re.compile(r"<!--.*?-->|</?(" + "|".join(_BLOCK + _INLINE) + r")\b[^<>]*>", re.IGNORECASE | re.DOTALL)


def check_strip_html(value: object) -> bool | str:
    """The ``strip_html`` setting, or ``ValueError`` naming a bad one."""
    if value not in STRIP_HTML_CHOICES or (value in (0, 1) and not isinstance(value, bool)):
        raise ValueError(f"strip_html must be true, false or 'auto', got {value!r}")
    return value


def has_html(text: str) -> bool:
    """True if ``text`` holds a tag of a known HTML element (or an HTML comment)."""
    return "<" in text and _TAG.search(text) is not None


def strip_html(text: str) -> str:
    """``text`` without HTML tags (word-separating tags become a space) and with entities decoded."""
    if "<" in text:
        text = _TAG.sub(lambda m: " " if m.group(1) and m.group(1).lower() in _BLOCK else "", text)
    return html.unescape(text) if "&" in text else text


def decide_strip_html(setting: bool | str, texts: Sequence[str]) -> dict:
    """Whether to remove HTML from a dataset, decided on its training texts, and why.

    Returns:
        ``{"setting", "applied", "rule"}`` (plus ``share_with_tags`` for ``"auto"``), JSON-friendly.
    """
    nonempty = [t for t in texts if t.strip()] if check_strip_html(setting) == "auto" else []
    return strip_html_rule(setting, tagged=sum(map(has_html, nonempty)), nonempty=len(nonempty))


def strip_html_rule(setting: bool | str, *, tagged: int, nonempty: int) -> dict:
    """:func:`decide_strip_html` from counts: ``tagged`` of the ``nonempty`` training texts hold a tag (what a
    streamed read counts as it goes)."""
    setting = check_strip_html(setting)
    if setting != "auto":
        return {"setting": setting, "applied": setting, "rule": f"strip_html={str(setting).lower()}"}
    share = tagged / nonempty if nonempty else 0.0
    applied = share >= AUTO_MIN_SHARE
    rule = f"auto: {share:.1%} of the training texts hold HTML tags; the threshold is {AUTO_MIN_SHARE:.0%}"
    return {"setting": "auto", "applied": applied, "rule": rule, "share_with_tags": round(share, 4)}


def strip_html_texts(texts: list[str]) -> tuple[list[str], int]:
    """``(texts with HTML removed, how many changed)``."""
    out = [strip_html(t) for t in texts]
    return out, sum(a != b for a, b in zip(out, texts, strict=True))
