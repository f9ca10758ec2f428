"""Vocabulary from the real Stack Exchange threads, and a seeded writer of synthetic text."""

import html
import re
import xml.etree.ElementTree as ET
from bisect import bisect_left
from collections import Counter
from dataclasses import dataclass, field
from itertools import accumulate
from pathlib import Path
from random import Random

from app.core.validation import TAG_MAX, TAG_RE, TITLE_MAX, TITLE_MIN
from app.rendering import render_markdown

_PRE = re.compile(r"<pre[^>]*>(.*?)</pre>", re.S)
_TAG = re.compile(r"<[^>]+>")
_SPACE = re.compile(r"\s+")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z])")
# Markdown block markers at a sentence start (lists, headings, quotes) would turn a plain
# paragraph into another block type, so sentences start at their first letter instead.
_LEADING_JUNK = re.compile(r"^[^A-Za-z\"'(]+")
# Literal markup in a sentence ("use a <table>") is raw HTML to Markdown: it could swallow
# the following paragraph, so such sentences are skipped.
_RAW_HTML = re.compile(r"<[A-Za-z/!?]")
_WORD = re.compile(r"[a-z]{3,12}")
_TAG_SPLIT = re.compile(r"[<>|]+")
END = None  # marks the end of a title in the bigram model


@dataclass
class Vocabulary:
    """What the generator draws from: title bigrams, sentences, code, tags, words."""

    title_starts: list[str] = field(default_factory=list)
    title_next: dict = field(default_factory=dict)
    sentences: list[str] = field(default_factory=list)
    code: list[str] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    tag_cum_weights: list[int] = field(default_factory=list)
    words: list[str] = field(default_factory=list)


def _add_title(vocab: Vocabulary, title: str) -> None:
    tokens = title.split()
    if len(tokens) < 2:
        return
    vocab.title_starts.append(tokens[0])
    for current, following in zip(tokens, [*tokens[1:], END], strict=True):
        vocab.title_next.setdefault(current, []).append(following)


def _add_body(vocab: Vocabulary, body: str, words: Counter) -> None:
    for snippet in _PRE.findall(body):
        code = html.unescape(_TAG.sub("", snippet)).strip("\n")
        if 0 < len(code) < 600 and "```" not in code:
            vocab.code.append(code)
    text = html.unescape(_TAG.sub(" ", _PRE.sub(" ", body)))
    for raw in _SENTENCE_END.split(_SPACE.sub(" ", text).strip()):
        sentence = _LEADING_JUNK.sub("", raw).strip()
        if (
            25 <= len(sentence) <= 280
            and len(sentence.split()) >= 4
            and not _RAW_HTML.search(sentence)
        ):
            vocab.sentences.append(sentence)
            words.update(_WORD.findall(sentence.lower()))


def load_vocabulary(data_dir: Path) -> Vocabulary:
    """Stream every */Posts.xml under data_dir and collect titles, sentences, code and tags."""
    vocab, tag_counts, words = Vocabulary(), Counter(), Counter()
    files = sorted(data_dir.glob("*/Posts.xml"))
    if not files:
        raise SystemExit(f"no */Posts.xml under {data_dir}")
    for path in files:
        # Trusted local dump files; expat does not fetch external entities.
        for _, row in ET.iterparse(path, events=("end",)):  # noqa: S314
            if row.tag != "row":
                continue
            if row.get("PostTypeId") in ("1", "2"):
                _add_body(vocab, row.get("Body", ""), words)
            if row.get("PostTypeId") == "1":
                _add_title(vocab, row.get("Title", ""))
                for tag in _TAG_SPLIT.split(row.get("Tags", "")):
                    if tag and len(tag) <= TAG_MAX and TAG_RE.fullmatch(tag):
                        tag_counts[tag] += 1
            row.clear()
    ranked = sorted(tag_counts.items(), key=lambda item: (-item[1], item[0]))
    vocab.tags = [name for name, _ in ranked]
    vocab.tag_cum_weights = list(accumulate(count for _, count in ranked))
    vocab.words = sorted(word for word, count in words.items() if count >= 2)
    return vocab


class Writer:
    """Seeded text: titles from a title bigram model, bodies from a pre-rendered paragraph pool.

    render_markdown costs ~0.4 ms a call, too slow for ~400k paragraphs, so each distinct
    paragraph is rendered once and a body's HTML is its paragraphs' HTML joined by newlines,
    which equals rendering the joined Markdown as long as no two list, quote or code blocks
    are adjacent (they would merge); body() never puts them next to each other.
    """

    def __init__(self, vocab: Vocabulary, rng: Random, pool_size: int) -> None:
        self.vocab, self.rng = vocab, rng
        self.plain = [self._render(self._plain_paragraph()) for _ in range(pool_size)]
        special = max(50, pool_size // 10)
        self.special = [self._render(self._special_block()) for _ in range(special)]
        self._sentence_html: dict[str, str] = {}

    @staticmethod
    def _render(markdown_text: str) -> tuple[str, str]:
        return markdown_text, render_markdown(markdown_text)

    def _sentences(self, low: int, high: int) -> list[str]:
        return self.rng.sample(self.vocab.sentences, self.rng.randint(low, high))

    def _plain_paragraph(self) -> str:
        sentences = self._sentences(2, 5)
        if self.rng.random() < 0.15:  # inline Markdown, as real posts have
            words = sentences[0].split(" ")
            i = self.rng.randrange(len(words))
            words[i] = f"**{words[i]}**" if self.rng.random() < 0.5 else f"`{words[i]}`"
            sentences[0] = " ".join(words)
        return " ".join(sentences)

    def _special_block(self) -> str:
        kind = self.rng.random()
        if kind < 0.4 and self.vocab.code:
            return "```\n" + self.rng.choice(self.vocab.code) + "\n```"
        if kind < 0.75:
            return "\n".join(f"- {s}" for s in self._sentences(2, 4))
        return "> " + " ".join(self._sentences(1, 2))

    def body(self, low: int, high: int) -> tuple[str, str]:
        """Markdown and its rendered HTML: low..high plain paragraphs, maybe one block."""
        parts = [self.rng.choice(self.plain) for _ in range(self.rng.randint(low, high))]
        if self.rng.random() < 0.2:
            # Between two plain paragraphs (or at either end), never beside another block.
            parts.insert(self.rng.randint(0, len(parts)), self.rng.choice(self.special))
        return "\n\n".join(p[0] for p in parts), "\n".join(p[1] for p in parts)

    def sentence(self) -> tuple[str, str]:
        """One real sentence (a comment) and its HTML, rendered once per distinct sentence."""
        text = self.rng.choice(self.vocab.sentences)
        if text not in self._sentence_html:
            self._sentence_html[text] = render_markdown(text)
        return text, self._sentence_html[text]

    def title(self, low: int = TITLE_MIN, high: int = TITLE_MAX) -> str:
        """A title walked from the bigram model, low..high characters."""
        for _ in range(50):
            words = [self.rng.choice(self.vocab.title_starts)]
            while len(words) < 20:
                following = self.rng.choice(self.vocab.title_next.get(words[-1], [END]))
                if following is END:
                    break
                words.append(following)
            title = " ".join(words)
            if len(title) > high:
                title = title[:high].rsplit(" ", 1)[0]
            if low <= len(title) <= high:
                return title
        return "How do I get started with " + self.rng.choice(self.vocab.words) + "?"

    def tags(self, count: int, first: list[str] = ()) -> list[str]:
        """count distinct tag names drawn by real frequency (after any given first)."""
        chosen = list(dict.fromkeys(first))
        total = self.vocab.tag_cum_weights[-1]
        count = min(count, len(self.vocab.tags))
        while len(chosen) < count:
            index = bisect_left(self.vocab.tag_cum_weights, self.rng.random() * total)
            if self.vocab.tags[index] not in chosen:
                chosen.append(self.vocab.tags[index])
        return chosen

    def words(self, count: int) -> list[str]:
        return [self.rng.choice(self.vocab.words) for _ in range(count)]
