"""Find catalog items from what a user typed: titles (exact, typo, part of one), then meaning.

A message may name several titles, and titles contain the very words people list them with
("The Good, the Bad and the Ugly", "Dumb and Dumber", "Avengers: Infinity War"). So the text is
not split first: it is cut into words, every span that could be a title (its ends at the
message's ends, separators, filler words or years) is looked up, and a small dynamic programme
keeps the spans that cover the text best. A whole title crossing an "and" covers more words than
its pieces, so it wins when it is a title; the pieces win when the whole is none. A span only
crosses a comma or an "and" its title has: "a game of thrones, a clash of kings" is two books even
where "A Game of Thrones / A Clash of Kings" is one. People type titles short: without a note in
parentheses ("(Harry Potter, #1)") or a subtitle after a colon; a short name several items share
is unsure, and a category the message names ("dune by frank herbert") picks among them.

Lookups stay cheap on large catalogs: a dict of normalized titles answers exact spans; only spans
sharing a (possibly misspelled) word with some title, found through a word index, are compared
fuzzily, and only with those few titles, never with the whole catalog.

A match is *sure* only when it is the title, up to typos. A phrase that is part of a title
("harry potter") is returned unsure, for the caller to confirm. What no title covers is looked
at once more as a whole ("Shallow Hal", "that dream heist movie"): by meaning first, since a
title that merely shares words ("Shallow Grave") is usually another one, then as a lookalike;
both unsure. Lookalikes never take part in the segmentation, where they would cut a title the
catalog lacks into pieces that each resemble some other title.
"""

from __future__ import annotations

import heapq
import math
import re
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from rapidfuzz import fuzz, process

from bot.catalog import Catalog, Item
from bot.encoder import Encoder
from bot.index import ItemIndex

SURE_SCORE = 88.0  # whole-string similarity of a title typed with typos
FUZZY_MIN_SCORE = 85.0  # a phrase aligned inside a longer title at least this well is part of it
LOOKALIKE_MIN_SCORE = 70.0  # whole-string similarity of a title that only looks like the phrase
SEMANTIC_MIN_SIMILARITY = 0.45
TYPO_MIN_SCORE = 80.0  # a word no title has is read as the title words this close to it
MAX_SPAN_WORDS = 16  # longer titles are found by their beginning, as part of a title
MAX_FUZZY_SPANS = 150  # per message; a very long message gets exact lookups only beyond this
MAX_CANDIDATES = 40  # titles compared fuzzily with one span
COMMON_WORD_TITLES = 200  # a word in more titles than this says little about which one is meant
MAX_MEANING_LOOKUPS = 3  # embedding a phrase costs milliseconds: this many per message at most
RARE_WORD_MIN_LENGTH = 6  # one word no other title has names its title if at least this long
MAX_TOKENS = 300  # words and breaks of a message read; a chat message is far shorter

# What a covered word is worth, by how its span matched: the exact "Good, the Bad and the Ugly"
# outweighs its pieces; part of a title counts less than a whole one.
_LOOKALIKE, _PART, _TYPO, _EXACT = range(4)
_WEIGHT = {_EXACT: 1.0, _TYPO: 1.0, _PART: 0.6, _LOOKALIKE: 0.3}

_ARTICLE = re.compile(r"^(?:the|a|an) ")
_ARTICLES = frozenset({"the", "a", "an"})
_TITLE_NOTE = re.compile(r"\s*\([^()]*\)\s*$")  # "Title (Series, #1)", "Title (1995)"
_SUBTITLE = re.compile(r"\s*:.*$")  # "Freakonomics: A Rogue Economist Explores ..."
_TOKEN = re.compile(r"[a-z0-9]+|&|[,;/\n.!?]|(?<!\S)-+(?!\S)")  # a dash between spaces breaks: "Heat - Mann"
_YEAR = re.compile(r"^(?:1[89]|20)\d\d$")
_ROMAN = {"ii": "2", "iii": "3", "iv": "4", "vi": "6", "vii": "7", "viii": "8", "ix": "9"}
_PUNCTUATION = frozenset(",;/\n.!?-")
_SENTENCE_ENDS = frozenset(".!?\n")
_SEPARATORS = frozenset({"and", "or", "plus", "nor"})
# A title of one real word typed lowercase right after these is a word of the sentence: "my
# daughter", "set in paris", "what next".
_DETERMINERS = frozenset("my your his her our their in at on what a an the this that some any".split())
# English words that surround titles in a message ("i loved", "something like", "and maybe",
# "what about", "please"). A title may start or end next to them, they are never reported as
# unmatched, and a title made of them alone ("It", "Up") counts only when typed as a name.
_FILLERS = _SEPARATORS | frozenset(
    """
    a an the but also too both either neither as well maybe perhaps probably definitely surely
    really very so just even still especially particularly mostly absolutely totally
    i im me my mine we our you your it its this that these those he she they them his her
    m s t d ll ve re
    is are was were be been am do did does have has had will would could should can
    love loved loves like liked likes enjoy enjoyed enjoys adore adored prefer preferred
    watch watched seen saw read reading favorite favourite favorites favourites fave faves
    movie movies film films book books novel novels show shows series title titles
    one ones thing things stuff something anything everything some any more other others another
    similar same kind sort type to of in on for with from by about at than then what how which
    please thanks thank ok okay yes yeah oh hmm pls plz thx
    recommend suggest want need give find get tell finished
    last next week weekend month night yesterday today tonight here now
    made makes cry great amazing awesome style vibe vibes fan fans
    """.split()
)


@dataclass(frozen=True)
class TitleMatch:
    item: Item
    score: float  # whole-title similarity 0..100, or cosine*100 for a match by meaning
    sure: bool
    phrase: str = field(default="", compare=False)  # the words of the message it was read from
    # the phrase is the title or a part of it ("harry potter"), maybe with typos; not a lookalike
    # nor a match by meaning: a request that names it means this item even when it is not sure
    named: bool = field(default=False, compare=False)


def _fold(text: str) -> tuple[str, list[int]]:
    """Lower-case ASCII text ("Amélie" -> "amelie") and where each of its characters came from."""
    if text.isascii():
        return text.lower(), list(range(len(text)))
    folded, origin = [], []
    for position, char in enumerate(text):
        for piece in unicodedata.normalize("NFKD", char).encode("ascii", "ignore").decode().lower():
            folded.append(piece)
            origin.append(position)
    return "".join(folded), origin


@dataclass(frozen=True)
class _Token:
    word: str  # lower-case ASCII ("&" reads "and"), or the punctuation mark itself
    start: int  # offsets in the original text
    end: int


def _tokenize(text: str) -> list[_Token]:
    """Words and breaking punctuation, accents folded away, with their offsets in ``text``."""
    folded, origin = _fold(text)
    tokens: list[_Token] = []
    for m in _TOKEN.finditer(folded):
        word = _word(m.group())
        if word in _PUNCTUATION and tokens and tokens[-1].word in _PUNCTUATION:
            continue  # "?!..." is one break
        tokens.append(_Token(word, origin[m.start()], origin[m.end() - 1] + 1))
    return tokens


def _word(token: str) -> str:
    """A token as a word: "&" reads "and", a dash of any length is one dash."""
    return "and" if token == "&" else "-" if token.startswith("-") else token


def _marks(words: list[str]) -> tuple[str, ...]:
    """The separators and breaks between the words of a title or span, in order (a full stop is
    left out: abbreviations use it)."""
    return tuple(w for w in words if w in _SEPARATORS or (w in _PUNCTUATION and w != "."))


def _within(marks: tuple[str, ...], title_marks: tuple[str, ...]) -> bool:
    """Whether a span's separators are the title's, in its order: "the good the bad and the ugly"
    may leave a comma out, but a comma or "and" the title lacks ("A Game of Thrones / A Clash of
    Kings" typed "a game of thrones, a clash of kings") separates two titles."""
    remaining = iter(title_marks)
    return all(mark in remaining for mark in marks)


def _key(words: list[str]) -> str:
    return _ARTICLE.sub("", " ".join(words))


def _words(text: str) -> list[str]:
    return [w for w in map(_word, _TOKEN.findall(_fold(text)[0])) if w not in _PUNCTUATION]


def normalize_title(text: str) -> str:
    """Lower-case ASCII words without punctuation or a leading article: "The Matrix" -> "matrix"."""
    return _key(_words(text))


def _numbers(key: str) -> set[str]:
    """The numbers in a title ("part ii" reads 2): a typo never changes them ("Toy Story 3" is
    not "toy story 4")."""
    return {_ROMAN.get(w, w) for w in key.split() if w.isdigit() or w in _ROMAN}


@dataclass(frozen=True)
class _Found:
    item_id: str
    score: float
    kind: int
    year_ok: bool = True  # False when the year typed with the title is not the item's

    def value(self, words: int) -> float:
        return words * _WEIGHT[self.kind] * self.score / 100


@dataclass(frozen=True)
class _Span:
    start: int  # token positions, end excluded (past the year when one was read with the title)
    end: int
    found: _Found
    value: float


class _Message:
    """One message as tokens, with where titles may begin and end in it."""

    def __init__(self, text: str):
        self.text = text
        self.tokens = _tokenize(text)[:MAX_TOKENS]
        self.punct = [t.word in _PUNCTUATION for t in self.tokens]
        self.year = [bool(_YEAR.match(t.word)) for t in self.tokens]
        self.breaks = [p or t.word in _FILLERS or y for t, p, y in zip(self.tokens, self.punct, self.year)]
        self.hard = [p or t.word in _SEPARATORS for t, p in zip(self.tokens, self.punct)]
        self.spellings: dict[str, list[str]] = {}  # typo readings, looked up once per message
        self.categories: set[str] | None = None  # the catalog's categories it names, when asked

    def __len__(self) -> int:
        return len(self.tokens)

    def words(self, start: int, end: int) -> list[str]:
        return [t.word for t, p in zip(self.tokens[start:end], self.punct[start:end]) if not p]

    def original(self, start: int, end: int) -> str:
        """The text of tokens start..end-1, with the bracket closing a year: "Heat (1995)"."""
        text = self.text[self.tokens[start].start:self.tokens[end - 1].end]
        closing = self.text[self.tokens[end - 1].end:self.tokens[end - 1].end + 1]
        return text + closing if closing == ")" and text.count("(") > text.count(")") else text

    def typed_as_name(self, start: int) -> bool:
        """Capitalized mid-sentence ("I loved Up"), so a title even if its words are fillers."""
        return start > 0 and self.tokens[start - 1].word not in _SENTENCE_ENDS and self.text[self.tokens[start].start].isupper()


def _short_names(items: Iterable[Item], titles: dict[str, str], shorten: Callable[[str], str]) -> dict[str, str]:
    """Item id -> the key of a shorter form of its title, when that is another key and not only
    a number."""
    keys = {item.id: normalize_title(shorten(item.title)) for item in items}
    return {i: key for i, key in keys.items() if key and key != titles[i] and not key.replace(" ", "").isdigit()}


def _phrase(message: _Message, tokens: list[int]) -> tuple[int, int, int, int] | None:
    """Consecutive tokens as a phrase: (start, end) without separators at either end, (first,
    last) without fillers; None when they are all fillers."""
    kept = [k for k in tokens if not message.hard[k]]
    core = [k for k in kept if message.tokens[k].word not in _FILLERS and not message.year[k]]
    if not core:
        return None
    first = core[0] - 1 if core[0] - 1 in kept and message.tokens[core[0] - 1].word in _ARTICLES else core[0]
    return kept[0], kept[-1] + 1, first, core[-1] + 1  # "The Wedding Singer" keeps its article


class TitleMatcher:
    def __init__(self, catalog: Catalog, index: ItemIndex, encoder: Encoder):
        self.catalog = catalog
        self.index = index
        self.encoder = encoder
        self._titles = {item.id: normalize_title(item.title) for item in catalog.items}
        # with its article, without a note: "heat" is Heat, not The Heat; "red queen" is no "The Red Queen (...)"
        self._typed = {item.id: " ".join(_words(_TITLE_NOTE.sub("", item.title))) for item in catalog.items}
        self._marks = {i.id: _marks([t.word for t in _tokenize(_TITLE_NOTE.sub("", i.title))]) for i in catalog.items}
        self._categories = {normalize_title(c) for c in catalog.categories}
        # Shorter names people type, looked up after the whole titles: without a trailing note in
        # parentheses ("The Hunger Games (The Hunger Games, #1)"), then without the subtitle after
        # a colon ("Freakonomics: A Rogue Economist ..."), unless only a number is left ("2001").
        notes = _short_names(catalog.items, self._titles, lambda title: _TITLE_NOTE.sub("", title))
        subtitles = _short_names(catalog.items, self._titles,
                                 lambda title: _SUBTITLE.sub("", _TITLE_NOTE.sub("", title)))
        subtitles = {i: key for i, key in subtitles.items() if key != notes.get(i)}
        self._names: list[dict[str, list[str]]] = []  # the exact keys, then the two kinds of alias
        for keys in (self._titles, notes, subtitles):
            names: dict[str, list[str]] = {}
            for item_id, key in keys.items():
                names.setdefault(key, []).append(item_id)
            self._names.append(names)
        # (item id, key) to compare fuzzily; a title of only non-Latin letters is found by meaning alone
        self._keys = [(i, key) for keys in (self._titles, notes, subtitles) for i, key in keys.items() if key]
        self._postings: dict[str, list[int]] = {}  # word -> positions in self._keys
        for position, (_, key) in enumerate(self._keys):
            for word in set(key.split()) | {key.replace(" ", "")}:  # "walle" finds "WALL·E" typed "wall-e"
                self._postings.setdefault(word, []).append(position)
        self._vocabulary: dict[str, list[str]] = {}  # by first letter: typos rarely hit it
        for word in self._postings:
            self._vocabulary.setdefault(word[0], []).append(word)
        longest = max((len(key.split()) for _, key in self._keys), default=1)
        self._max_words = min(longest + 1, MAX_SPAN_WORDS)  # + 1 for a leading article

    # --- the doors -----------------------------------------------------------------------------

    def match_one(self, text: str) -> TitleMatch | None:
        """The best item for one title-ish phrase, or None if nothing is close."""
        found, _ = self._resolve(text)
        best = max(found, key=lambda f: (f[1].sure, f[2]), default=None)
        return best[1] if best else None

    def match_many(self, text: str, limit: int = 2, by_meaning: bool = True) -> tuple[list[TitleMatch], list[str]]:
        """The items "Memento and The Good, the Bad and the Ugly" names, in the order of the text
        (at most ``limit``), and the phrases that matched nothing. Without ``by_meaning`` what no
        title covers is only compared with titles (no embedding: a request's other words are
        its topic, not a description of one item)."""
        found, unmatched = self._resolve(text, by_meaning)
        return [match for _, match, _ in found][:limit], unmatched

    # --- the message ---------------------------------------------------------------------------

    def _resolve(self, text: str, by_meaning: bool = True) -> tuple[list[tuple[int, TitleMatch, float]], list[str]]:
        """(offset, match, value) of each item named, first mention only; unmatched phrases.

        What no span covers is tried whole first ("The Good, the Bad and the Ugly" the catalog
        lacks may still be found by meaning), then piece by piece between separators ("Shallow
        Hal and The Wedding Singer"), within MAX_MEANING_LOOKUPS.
        """
        message = _Message(text)
        spans = self._segment(message)
        found = [(message.tokens[s.start].start, self._as_match(s.found, message.original(s.start, s.end)), s.value)
                 for s in spans]
        unmatched: list[str] = []
        lookups = 0

        def resolve(phrase: tuple[int, int, int, int]) -> bool:
            nonlocal lookups
            lookups += 1
            match = self._loosely(message, *phrase, by_meaning=by_meaning) if lookups <= MAX_MEANING_LOOKUPS else None
            if match is not None:
                found.append((message.tokens[phrase[2]].start, *match))
            return match is not None

        for stretch in self._leftovers(message, spans):
            pieces = self._pieces(message, stretch)
            if resolve(stretch):
                continue
            if len(pieces) == 1:
                unmatched.append(message.original(stretch[2], stretch[3]))
                continue
            unmatched += [message.original(piece[2], piece[3]) for piece in pieces if not resolve(piece)]
        found.sort(key=lambda f: f[0])
        first_mentions: dict[str, tuple[int, TitleMatch, float]] = {}
        for mention in found:
            first_mentions.setdefault(mention[1].item.id, mention)
        return list(first_mentions.values()), unmatched

    def _segment(self, message: _Message) -> list[_Span]:
        """The title spans covering the most words, weighted by how well each matched.

        best[k] is the best (value, -spans) for the first k tokens: each token is either
        skipped (a filler, or a word no title explains) or the start of a matched span.
        """
        spans_from = self._spans(message)
        best: list[tuple[float, int] | None] = [(0.0, 0)] + [None] * len(message)
        back: list[tuple[int, _Span | None]] = [(0, None)] * (len(message) + 1)
        for i in range(len(message)):
            if best[i] is None:
                continue
            value, count = best[i]
            steps = [(i + 1, (value, count), None)]
            steps += [(s.end, (round(value + s.value, 6), count - 1), s) for s in spans_from[i]]
            for end, score, span in steps:
                if best[end] is None or score > best[end]:
                    best[end], back[end] = score, (i, span)
        chosen, k = [], len(message)
        while k > 0:
            k, span = back[k]
            if span is not None:
                chosen.append(span)
        return chosen[::-1]

    def _spans(self, message: _Message) -> list[list[_Span]]:
        """The matched spans by start. A span starts after a break and ends before one (a
        separator, filler, year, punctuation or a dash between spaces), so "The Wedding Singer" never yields "A Wedding" and a
        leftover "singer". A year right after a span picks among same-titled items and is
        read with it, unless it begins a title of its own ("Animal Farm, 1984")."""
        n = len(message)
        first_word = next((k for k in range(n) if not message.punct[k]), n)
        last_word = max((k for k in range(n) if not message.punct[k]), default=-1)
        spans_from: list[list[_Span]] = [[] for _ in range(n + 1)]
        fuzzy_budget = MAX_FUZZY_SPANS
        for i in reversed(range(n)):  # the spans after a year are known when the year is read
            if message.punct[i] or not (i == 0 or message.breaks[i - 1] or message.year[i]):
                continue
            as_name = message.typed_as_name(i)
            hard_start = i == 0 or message.hard[i - 1]
            for j in range(i + 1, n + 1):
                if message.punct[j - 1] or (j < n and not message.breaks[j]):
                    continue
                words = message.words(i, j)
                if len(words) > self._max_words:
                    break
                fuzzy = fuzzy_budget > 0 and self._worth_comparing(words, hard_start)
                fuzzy_budget -= fuzzy
                whole = i == first_word and j - 1 == last_word
                year = int(message.tokens[j].word) if j < n and message.year[j] else None
                marks = _marks([t.word for t in message.tokens[i:j]])
                found = self._match_span(message, words, year, as_name or whole, fuzzy, marks=marks)
                if found is None or (not (as_name or whole) and self._a_word_of_the_sentence(message, i, words)):
                    continue
                if year is None:
                    spans_from[i].append(_Span(i, j, found, found.value(len(words))))
                    continue
                spans_from[i].append(_Span(i, j + 1, found, found.value(len(words)) + (1.0 if found.year_ok else 0.0)))
                if spans_from[j]:
                    alone = self._match_span(message, words, None, as_name or whole, fuzzy, marks=marks)
                    spans_from[i].append(_Span(i, j, alone, alone.value(len(words))))
        return spans_from

    @staticmethod
    def _a_word_of_the_sentence(message: _Message, start: int, words: list[str]) -> bool:
        """One real word typed lowercase after a determiner or preposition ("my daughter", "set in
        paris", "what next", "in school") is more likely the word than a title."""
        real_words = [w for w in words if w not in _FILLERS]
        return len(real_words) <= 1 and start > 0 and message.tokens[start - 1].word in _DETERMINERS

    @staticmethod
    def _worth_comparing(words: list[str], hard_start: bool) -> bool:
        """Fuzzy comparison only for spans that end on a real word and start on one (or right
        after a separator): "loved the matix" is "the matix" with a filler in front."""
        key = _key(words).split()
        return bool(key) and key[-1] not in _FILLERS and (hard_start or key[0] not in _FILLERS)

    @staticmethod
    def _leftovers(message: _Message, spans: list[_Span]) -> list[tuple[int, int, int, int]]:
        """The stretches no span covers that have words other than fillers, as phrases."""
        covered = [False] * len(message)
        for span in spans:
            covered[span.start:span.end] = [True] * (span.end - span.start)
        stretches: list[list[int]] = [[]]
        for k in range(len(message)):
            if covered[k]:
                stretches.append([])
            else:
                stretches[-1].append(k)
        return [phrase for stretch in stretches if (phrase := _phrase(message, stretch))]

    @staticmethod
    def _pieces(message: _Message, stretch: tuple[int, int, int, int]) -> list[tuple[int, int, int, int]]:
        """A stretch cut at its separators, as phrases."""
        pieces: list[list[int]] = [[]]
        for k in range(stretch[0], stretch[1]):
            if message.hard[k]:
                pieces.append([])
            else:
                pieces[-1].append(k)
        return [phrase for piece in pieces if (phrase := _phrase(message, piece))]

    def _loosely(self, message: _Message, start: int, end: int, first: int, last: int,
                 by_meaning: bool = True) -> tuple[TitleMatch, float] | None:
        """What a stretch no span covers names, unsure: by meaning first, then a lookalike title
        (or a title the segmentation could not reach: past the fuzzy budget, after a filler)."""
        said = message.original(first, last)
        year = int(message.tokens[last].word) if last < end and message.year[last] else None
        words = message.words(first, last)
        marks = _marks([t.word for t in message.tokens[first:last]])
        found = self._match_span(message, words, year, True, True, lookalike=True, marks=marks)
        if found is not None and not message.typed_as_name(first) and self._a_word_of_the_sentence(message, first, words):
            found = None
        if found is not None and found.kind != _LOOKALIKE:
            return self._as_match(found, said), found.value(last - first)
        if not by_meaning:
            return (self._as_match(found, said), 0.0) if found else None
        hits = self.index.search(self.encoder.encode_query(message.original(start, end)), 1)
        if hits and hits[0][1] >= SEMANTIC_MIN_SIMILARITY:
            item_id, similarity = hits[0]
            return TitleMatch(self.catalog.by_id[item_id], similarity * 100, sure=False, phrase=said), 0.0
        return (self._as_match(found, said), 0.0) if found else None

    # --- one span ------------------------------------------------------------------------------

    def _match_span(
        self, message: _Message, words: list[str], year: int | None, as_name: bool, fuzzy: bool,
        lookalike: bool = False, marks: tuple[str, ...] = (),
    ) -> _Found | None:
        """How the span's words name an item: exactly, with typos, as part of a title, or (when
        asked) as a lookalike. A title of filler words alone ("It") counts only typed as a name;
        a span crossing a separator only names a title with that separator (``marks``); the name
        of a category ("stephen king", an author) is no part of a title."""
        key = _key(words)
        if not key:
            return None
        all_fillers = all(w in _FILLERS for w in key.split())
        ids = self._named(message, key, marks)
        if ids and (as_name or not all_fillers):
            item_id, year_ok = self._pick(ids, year, " ".join(words), message)
            return _Found(item_id, 100.0, self._exactness(ids, key, year), year_ok)
        if all_fillers or not fuzzy or key in self._categories:
            return None
        best: tuple[tuple, _Found] | None = None
        for position in self._candidates(message, key):
            item_id, title = self._keys[position]
            if not _within(marks, self._marks[item_id]):
                continue
            ratio = fuzz.ratio(key, title)
            if ratio >= SURE_SCORE and _numbers(key) == _numbers(title):
                kind, rank = _TYPO, ratio
            elif len(key) < len(title) and self._is_part(key, title):
                kind, rank = _PART, fuzz.partial_ratio(key, title)
            elif lookalike and ratio >= LOOKALIKE_MIN_SCORE:
                kind, rank = _LOOKALIKE, ratio
            else:
                continue
            year_ok = self._of_year(item_id, year)
            order = (kind, year_ok, rank, ratio, -len(title))
            if best is None or order > best[0]:
                best = (order, _Found(item_id, float(ratio), kind, year_ok))
        return best[1] if best else None

    def _named(self, message: _Message, key: str, marks: tuple[str, ...]) -> list[str]:
        """The items whose title, or else shorter name, is ``key`` (and has the span's separators);
        a shorter name of an item whose category the message names ("wicked by gregory maguire")
        counts as much as a title."""
        tiers = [[i for i in names.get(key, ()) if _within(marks, self._marks[i])] for names in self._names]
        ids = next((tier for tier in tiers if tier), [])
        if len(ids) == len(sum(tiers, [])) or not self._message_categories(message):
            return ids
        named = ([i for i in tier if self._in_named_category(i, message)] for tier in tiers)
        return next((tier for tier in named if tier), ids)

    def _exactness(self, ids: list[str], key: str, year: int | None) -> int:
        """A whole title is exact; a shorter name only when one item of the year typed has it:
        "kill bill" is part of both volumes, for the caller to confirm."""
        of_year = [i for i in ids if self._of_year(i, year)] or ids
        return _EXACT if len(of_year) == 1 or any(self._titles[i] == key for i in ids) else _PART

    def _is_part(self, key: str, title: str) -> bool:
        """"harry potter" is part of "harry potter and the goblet of fire": its beginning, each real
        word in the title (up to typos), in its order. Two real words at least, or one long word
        no other title has ("shawshank"): one common word is too little to name a title by ("the
        good" is no Good Will Hunting); "the bad and the ugly" is no part of "The Bad and the
        Beautiful", nor "make me think" of "Don't Make Me Think"."""
        words = [w for w in key.split() if w not in _FILLERS]
        if not words or fuzz.ratio(key, title[:len(key)]) < FUZZY_MIN_SCORE:
            return False
        if len(words) == 1:
            return len(key) >= RARE_WORD_MIN_LENGTH and len({self._keys[p][0] for p in self._postings.get(key, ())}) == 1
        return all(any(fuzz.ratio(w, t) >= TYPO_MIN_SCORE for t in title.split()) for w in words)

    def _candidates(self, message: _Message, key: str) -> list[int]:
        """Titles sharing the most with the span: its words or the title words its typos stand for,
        a rare word counting more than a common one, and its words run together ("wall e").
        Words in very many titles ("1" of "#1") only count when the span has no rarer one."""
        postings: list[list[int]] = []
        for word in dict.fromkeys([*key.split(), key.replace(" ", "")]):
            if word in _FILLERS:
                continue
            if word not in message.spellings:
                message.spellings[word] = self._spellings(word)
            postings += [self._postings[spelling] for spelling in message.spellings[word]]
        rare = [p for p in postings if len(p) <= COMMON_WORD_TITLES]
        weights: dict[int, float] = {}
        for titles in rare or postings:
            rarity = math.log(1 + len(self._keys) / len(titles))
            for position in titles:
                weights[position] = weights.get(position, 0.0) + rarity
        return heapq.nlargest(MAX_CANDIDATES, weights, key=weights.__getitem__)

    def _spellings(self, word: str) -> list[str]:
        """The word itself when some title has it, else the title words it may be a typo of."""
        if word in self._postings:
            return [word]
        if len(word) < 4 or word.isdigit():
            return []
        close = process.extract(word, self._vocabulary.get(word[0], []), scorer=fuzz.ratio,
                                score_cutoff=TYPO_MIN_SCORE, limit=3)
        return [spelling for spelling, _, _ in close]

    def _pick(self, ids: list[str], year: int | None, typed: str, message: _Message) -> tuple[str, bool]:
        """Among same-titled items: the one of the year typed, else the one of a category the
        message names ("dracula by bram stoker"), else the one whose article was typed too
        ("heat": Heat, not The Heat), else the most recent."""
        best = max(ids, key=lambda i: (year is not None and self._of_year(i, year), self._in_named_category(i, message),
                                       self._typed[i] == typed, self.catalog.by_id[i].year or 0))
        return best, self._of_year(best, year)

    def _message_categories(self, message: _Message) -> set[str]:
        """The categories the message names (authors, in a books catalog), found once."""
        if message.categories is None:
            message.categories = set(self.catalog.find_categories(message.text))
        return message.categories

    def _in_named_category(self, item_id: str, message: _Message) -> bool:
        return bool(self._message_categories(message).intersection(self.catalog.by_id[item_id].categories))

    def _of_year(self, item_id: str, year: int | None) -> bool:
        """Whether the year typed with a title fits the item (an item without a year fits any)."""
        item_year = self.catalog.by_id[item_id].year
        return year is None or item_year is None or item_year == year

    def _as_match(self, found: _Found, phrase: str) -> TitleMatch:
        sure = found.kind >= _TYPO and found.year_ok
        named = found.kind >= _PART and found.year_ok
        return TitleMatch(self.catalog.by_id[found.item_id], found.score, sure, phrase, named)


INTEREST_MIN_SIMILARITY = 0.35  # below this, a phrase is about nothing in the catalog
INTEREST_MAX_WORDS = 8


def match_interest(text: str, index: ItemIndex, encoder: Encoder) -> str | None:
    """A short free-text taste ("space operas") if some catalog items are about it."""
    phrase = " ".join(text.split())
    if not phrase or len(phrase.split()) > INTEREST_MAX_WORDS or phrase.startswith("/"):
        return None
    nearest = index.search(encoder.encode_query(phrase), 1)  # the index's own search: no catalog-wide product
    return phrase if nearest and nearest[0][1] >= INTEREST_MIN_SIMILARITY else None
