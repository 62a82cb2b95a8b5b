"""Kim's (2014) string cleaner, as a pure-Python reference.

The rules come from ``clean_str`` in ``process_data.py`` of yoonkim/CNN_sentence. ``KIM_RULES`` is the single
source of truth: :func:`kim_clean` applies it with :func:`re.sub`, and the ``kim`` kind of
:class:`textcnn.text.tokenizers.TextTokenizer` builds the same rules as ``tokenizers`` normalizers (Rust), so a
test can check that both agree.

One deliberate fix: the original replaced ``(``, ``)`` and ``?`` with ``" \\( "``, ``" \\) "`` and ``" \\? "``.
Python's :func:`re.sub` keeps unknown escapes of punctuation in a replacement template, so Kim's vocabulary held the
tokens ``\\(``, ``\\)`` and ``\\?`` (with a backslash), an accident of escaping: ``,`` and ``!`` get no backslash,
and the first rule removes every backslash from the input. Here those three come out as ``(``, ``)`` and ``?``.
With random embeddings the token names do not matter; with pretrained vectors only these three tokens can be
looked up differently.
"""

from __future__ import annotations

import re

__all__ = ["KIM_RULES", "kim_clean"]

# (pattern, literal replacement), applied in order to the whole string. The replacements contain no backslashes or
# group references, so they mean the same to Python's re.sub and to tokenizers' normalizers.Replace.
KIM_RULES: tuple[tuple[str, str], ...] = (
    (r"[^A-Za-z0-9(),!?'`]", " "),  # anything else (accents, emoji, NUL, tabs, newlines) becomes a space
    (r"'s", " 's"),
    (r"'ve", " 've"),
    (r"n't", " n't"),
    (r"'re", " 're"),
    (r"'d", " 'd"),
    (r"'ll", " 'll"),
    (r",", " , "),
    (r"!", " ! "),
    (r"\(", " ( "),  # original: " \( " (see the module docstring)
    (r"\)", " ) "),  # original: " \) "
    (r"\?", " ? "),  # original: " \? "
    (r"\s{2,}", " "),  # after the first rule the only whitespace left is the plain space
)

_COMPILED = tuple((re.compile(pattern), replacement) for pattern, replacement in KIM_RULES)


def kim_clean(text: str, lowercase: bool = True) -> str:
    """Clean and tokenize a sentence the way Kim (2014) did for every dataset except SST.

    Args:
        text: Raw text; any Unicode string.
        lowercase: Lower-case the result. Kim lower-cased every dataset except TREC.

    Returns:
        The cleaned text: tokens separated by single spaces, no leading or trailing space.

    Example:
        >>> kim_clean("It's (really) good, isn't it?")
        "it 's ( really ) good , is n't it ?"
    """
    for pattern, replacement in _COMPILED:
        text = pattern.sub(replacement, text)
    text = text.strip()
    return text.lower() if lowercase else text
