"""Read a typed request into a :class:`~bot.wish.Wish`, for any catalog.

The words are taken apart in the order that keeps them from being misread: what is *not*
wanted first ("funny but not stupid", "without glass"), then the constraints ("under 5 pounds",
"from the 90s"), the titles named, the categories; the words left once request fillers are
dropped are the topic ("candles", "christmas", "murder"), which the recommender embeds. The
only vocabulary here is English request grammar; nothing is about a kind of item, except the
catalog's own nouns (the questionnaire's "movie"/"book"). Praise is no negation ("nothing beats
Heat"), what is not wanted ends at a bracket ("Oldboy (not the remake) & ..."), and a title that
holds a negation ("Dr. No", "Never Let Me Go") is wanted. A title taken back for another ("Se7en,
sorry I meant Zodiac") and one dismissed after it ("mockingjay not so much", "Allegiant I haven't
read yet", "eclipse and breaking dawn I didn't finish", "revolutions was terrible", "inferno was meh",
"the death cure not really", "the phantom menace, no thanks"; the clause dismissed begins after a
"but") are not, nor is one still to be read ("still have to read return of the king", "I have yet
to watch ...") or not liked ("Memento I didn't like"). What is not seen yet is no dislike: "a space
movie I haven't seen" wants space, new to the user.
"Hated" and "disliked" say what is not wanted as "hate" does; what a negation excepts is wanted
("not a fan of musicals except la la land"); and a negation typed after a sequel's number ("die
hard 1 and 2 but not ...") is the sentence's, not the title's, when the title has no such word.
"""

from __future__ import annotations

import re

from bot.catalog import Catalog
from bot.constraints import parse_constraints, without_constraints
from bot.matching import TitleMatch, TitleMatcher
from bot.wish import Wish

# what follows a cue without being unwanted: "not sure", "no problem", and praise ("nothing beats Heat")
_NOT_REALLY = (r"(?!sure\b|really sure\b|fussed\b|bothered\b|picky\b|matter\b|idea\b|preference\b|particular\b"
               r"|thanks\b|problem\b|beats?\b|tops?\b|compares?\b|comes? close\b)")
_CUE = (r"(?:not a (?:big )?fan of|no more|can'?t stand|(?:anything|everything) but|"  # the longer cues first
        r"(?:bored|sick|tired) of|fed up with|"  # "I'm sick of dramas" is no wish for dramas
        r"(?:don'?t|do not|dont|doesn'?t|won'?t) (?:want|like|need|show|give|recommend|suggest|include|care for)|"
        r"(?:didn'?t|did not|haven'?t|have not) (?:read|see|seen|watch|watched|finish|finished|like)|"
        r"(?:still (?:have|need) to|have yet to) (?:read|see|watch)|"  # not yet read: "still have to read X"
        r"no|not|without|nothing|never|avoid|except|excluding|hated?|disliked?)")
# what is not taken *yet* is no dislike: "a space movie i haven't seen" wants space, new to the user;
# only the titles said so are no seed ("Allegiant I haven't read yet", "still have to read X")
_UNSEEN = re.compile(r"(?:(?:which|that)\s+)?(?:i\s+)?\b"
                     r"(?:(?:didn'?t|did not|haven'?t|have not)\s+(?:read|see|seen|watch|watched)"
                     r"|(?:still (?:have|need) to|have yet to)\s+(?:read|see|watch))\b(?:\s+(?:it|them))?(?:\s+yet)?",
                     re.IGNORECASE)
# what is not wanted ends at a break, or a bracket: "Oldboy (not the remake) & Memories of Murder"
_NEGATION = re.compile(
    rf"\b(?P<cue>{_CUE})\s+{_NOT_REALLY}"
    r"(?P<what>[^,.;!?\n()]+?)(?=[^\S\n]*(?:[,.;!?\n()]|\bbut\b|\bthough\b|\binstead\b|\bplease\b|\bthanks\b|$))",
    re.IGNORECASE,
)
# a verdict that dismisses what it follows: "was meh", "was boring", "is overrated"
_VERDICT = (r"(?:was|were|is|are)(?: (?:a bit|kinda|kind of|pretty|so|really|very|just|honestly))?"
            r" (?:meh|boring|terrible|awful|bad|horrible|overrated|disappointing|dull|bland|trash|garbage|"
            r"a (?:letdown|let down|disappointment)|the worst)")
# what a clause dismisses after it: "mockingjay not so much", "Allegiant I haven't read yet",
# "revolutions was terrible", "the phantom menace, no thanks"; the clause begins after a "but"
# ("the scorch trials was good but the death cure not really" dismisses the second alone)
_DISMISSAL = re.compile(
    r"(?<![\w'])(?P<what>(?:(?!\b(?:but|though|while|whereas)\b)[^,.;!?\n()])+?)"
    r"(?:\s+(?:not so much|not really|" + _VERDICT + r"|(?:which |that )?i (?:haven'?t|have not|didn'?t|did not|don'?t|do not) "
    r"(?:read|see|seen|watch|watched|finish|finished|like|love|enjoy|care for)(?: (?:it|them))?(?: yet)?)|,\s*no thanks)"
    r"(?=[^\S\n]*(?:[,.;!?\n()]|lol\b|\bthough\b|\bbut\b|$))",
    re.IGNORECASE,
)
# an exception to what is not wanted is wanted: "not a fan of musicals except la la land", "no horror
# apart from the shining" (the cue before it must not be the exception's own: "anything except westerns")
_EXCEPTION = re.compile(rf"(?P<negation>\b(?!except\b|excluding\b){_CUE}\s+[^,.;!?\n()]+?)\s+"
                        r"(?:except(?: for)?|apart from|other than|besides|save for)\s+", re.IGNORECASE)
_CUE_WORD = re.compile(rf"\b{_CUE}\b", re.IGNORECASE)  # in a title: "Dr. No", "The NeverEnding Story"
_LASTING = re.compile(r"\b(?:never|hated?|can'?t stand|disliked?|don'?t like|do not like|not a (?:big )?fan of|ever)\b",
                      re.IGNORECASE)
_FILLERS = frozenset("""
    a about across after again all also am an and any anymore anything anyway are around as at b be because been
    before between cheap cheaper decade era from price priced since under over year years
    here makes should make making watched watching wanted read reading seen yet worth next nothing didnt doesnt havent hasnt loves
    best bit both but by can could cool d did do does doing dont else enjoy enjoyed especially even ever every
    favorite favourite favourites favorites feel feeling find for fun get give go going good got great guess guys
    had has have hello help hey hi hiya how i id ill im in into is it its ive just kind kinda know let lets like
    liked likes little looking look lot lots love loved loving lovely m made maybe me mind mood more most much my need
    new nice now of ok okay on one ones or other others perhaps pick picks please pls plz quite rather re really
    recommend recommendation recommendations s same see show similar so some someone something sort stuff suggest
    suggestion suggestions sure t than thank thanks that the their them then there these they thing things think
    this those to today tonight too try u up us ve very want wanna was watch we week weekend what whats which while
    will with would ya yeah yes you your
""".split())
# a title taken back for the next one: "Se7en, sorry I meant Zodiac", "Carrie, I mean Misery",
# "The Da Vinci Code... no wait, Angels & Demons"
_CORRECTION = re.compile(r"\b(?:(?:sorry|oops|no wait|wait no|or rather)\b[\s,.]*(?:i\s+)?(?:meant|mean)?|i\s+meant?)\b[\s,:.]*",
                         re.IGNORECASE)
_OF_THE_KIND = frozenset("item items thing things product products one ones".split())
# what the user is, not what they want: "a big fan of", "nolan fan here" (its words would find The Fan and Big)
_FAN = re.compile(r"\b(?:(?:big|huge|massive|biggest)\s+)?fans?\b", re.IGNORECASE)
# an age says who it is for: "for my 8 year old" is about children (as a topic "old" found old things)
_AGE = re.compile(r"\b(\d{1,2})(?:[- ]?(?:years?|yrs?)[- ]?olds?|\s*y/?o)\b", re.IGNORECASE)


def _who_by_age(age: re.Match[str]) -> str:
    years = int(age.group(1))
    return "children" if years < 13 else "teenagers" if years < 20 else " "


# how the picks rank, not what they are about: "what's popular right now", "top rated sci-fi" (as a
# topic they found items with "popular" or "top" in their text; the ranking has the trend already)
_RANKING = re.compile(r"\b(?:(?:the\s+)?most\s+|really\s+)?(?:popular|trending|bestselling|best-selling|bestsellers?|"
                      r"(?:top|highly|best)[- ]rated)(?:\s+(?:right\s+)?now)?\b", re.IGNORECASE)
MAX_TOPIC_WORDS = 8
MAX_TITLES = 10


_TITLE_RUN = re.compile(r"(?:\b[A-Z][\w'-]*[:,]?\s+(?:(?:of|the|and|a|an|in|on|to|for)\s+)*)+[A-Z][\w'-]*")


def _title_cased(phrase: str) -> bool:
    """Written as a title is: two capitalized words or more ("Avengers: Infinity War"), not
    counting "I"; "crime movies" is not."""
    words = [w for w in re.findall(r"[^\W\d_][\w']*", phrase) if w not in ("I", "I'm", "I've", "I'd")]
    return sum(w[0].isupper() for w in words) >= 2


def _holds_a_negation(match: TitleMatch) -> bool:
    """Whether a title read holds a negation with other words ("Dr No", "Never Ending Story" typed
    for The NeverEnding Story, "no country" for No Country for Old Men); a cue alone ("nothing too
    long") is one even where a title has that name."""
    said = match.phrase
    return (bool(_CUE_WORD.search(said)) and bool(re.search(r"\w", _CUE_WORD.sub("", said)))
            and (match.sure or (match.named and bool(_CUE_WORD.search(match.item.title))))
            and _the_titles_own_cues(said, match.item.title))


def _the_titles_own_cues(said: str, title: str) -> bool:
    """Whether the negations typed in a title's phrase are the title's own, maybe inside a word
    ("Never Ending Story" of The NeverEnding Story): the phrase of a sequel typed by its number
    may run on over the negation after it ("die hard 1 and 2 but not ..." reads "2 but not" as Die
    Hard 2), which is the sentence's and still says what is not wanted."""
    folded = title.lower()
    return all(cue.group(0).lower() in folded for cue in _CUE_WORD.finditer(said))


def _placeholder(number: int) -> str:
    return f"\x00{number}\x00"


def _unshield(text: str, shielded: list[str]) -> str:
    """The text with the shielded titles back in place of their placeholders."""
    for number, phrase in enumerate(shielded):
        text = text.replace(_placeholder(number), phrase)
    return text


def _cut(text: str, phrases: list[str]) -> str:
    """The text without the phrases titles were read from (a separator in their place)."""
    for phrase in filter(None, phrases):
        text = re.sub(re.escape(phrase), " ; ", text, count=1, flags=re.IGNORECASE)
    return text


class WishReader:
    """Reads requests against one catalog version (its titles and categories)."""

    def __init__(self, catalog: Catalog, matcher: TitleMatcher, item_nouns: tuple[str, ...] = ()):
        self.catalog = catalog
        self.matcher = matcher
        self._nouns = _OF_THE_KIND | {noun.lower() for noun in item_nouns}

    def read(self, text: str) -> Wish:
        text, titled = self._shield_constraint_titles(self._without_taken_back(text))
        constraints = parse_constraints(text)
        text, shielded = self._shield_titles(_unshield(without_constraints(text), titled))
        wanted, avoided, unseen, lasting = self._split_negations(text)
        wanted, avoided = _unshield(wanted, shielded), [_unshield(phrase, shielded) for phrase in avoided]
        unseen = [_unshield(phrase, shielded).lower() for phrase in unseen]
        matches, _ = (self.matcher.match_many(wanted, limit=MAX_TITLES, by_meaning=False) if re.search(r"\w", wanted)
                      else ([], []))
        sure = [m for m in matches if m.sure or m.named]  # "harry potter" names a book, unsure which one
        unsure = [m for m in matches if not (m.sure or m.named)]
        wanted = _cut(wanted, [m.phrase for m in sure])
        sure = [m for m in sure if not any(m.phrase.lower() in phrase for phrase in unseen)]
        # A title the catalog lacks ("Avengers: Infinity War") is no category ("War"); its words stay a topic.
        titles = [m.phrase for m in unsure if _title_cased(m.phrase) and not self._names_only(m.phrase)]
        categories = self.catalog.find_categories(_cut(_TITLE_RUN.sub(self._unless_categories, wanted), titles))
        avoid_categories = [c for c in self.catalog.find_categories(" ; ".join(avoided)) if c not in categories]
        avoid_topics = tuple(filter(None, (self._topic(self._without_categories(phrase)) for phrase in avoided)))
        return Wish(items=tuple(dict.fromkeys(m.item.id for m in sure)),
                    categories=tuple(categories),
                    topic=self._topic(self._without_categories(wanted)), avoid_categories=tuple(avoid_categories),
                    avoid_topics=avoid_topics, constraints=constraints,
                    lasting=lasting and bool(avoid_categories or avoid_topics))

    def _without_taken_back(self, text: str) -> str:
        """The text without the titles taken back: the one typed right before a correction
        ("Se7en, sorry I meant Zodiac") when another follows it. A correction names no title
        otherwise ("Heat, sorry for the typos", "I mean, anything by Nolan")."""
        for cue in reversed(list(_CORRECTION.finditer(text))):
            before, after = text[:cue.start()], text[cue.end():]
            typed = before.rstrip(" ,.;:!?-")
            named = self._sure_phrases(typed) if typed else []
            if named and typed.lower().endswith(named[-1].lower()) and self._sure_phrases(after):
                text = typed[:len(typed) - len(named[-1])] + " , " + after
        return text

    def _sure_phrases(self, text: str) -> list[str]:
        """The phrases of the titles the text surely names, in order."""
        matches, _ = self.matcher.match_many(text, limit=MAX_TITLES, by_meaning=False)
        return [m.phrase for m in matches if m.sure or m.named]

    def _shield_constraint_titles(self, text: str) -> tuple[str, list[str]]:
        """The text with the titles that read like a constraint ("Mad Max 2": at most 2; "Up to
        Speed") replaced by placeholders, so that they stay titles; and those titles."""
        if without_constraints(text) == text:
            return text, []
        matches, _ = self.matcher.match_many(text, limit=MAX_TITLES, by_meaning=False)
        shielded = [m.phrase for m in matches if m.sure and without_constraints(m.phrase) != m.phrase]
        for number, phrase in enumerate(shielded):
            text = text.replace(phrase, _placeholder(number), 1)
        return text, shielded

    def _shield_titles(self, text: str) -> tuple[str, list[str]]:
        """The text with the titles that hold a negation ("Never Let Me Go", "No Country for Old
        Men", "The Hate U Give", "Dr No" at the end of a sentence, "Never Ending Story" for The
        NeverEnding Story) replaced by placeholders, so that they are not read as what is not
        wanted; and those titles, in placeholder order."""
        if not _NEGATION.search(text):
            return text, []
        matches, _ = self.matcher.match_many(text, limit=MAX_TITLES, by_meaning=False)
        shielded = [m.phrase for m in matches if _holds_a_negation(m)]
        for number, phrase in enumerate(shielded):
            text = text.replace(phrase, _placeholder(number), 1)
        return text, shielded

    @staticmethod
    def _split_negations(text: str) -> tuple[str, list[str], list[str], bool]:
        """The wanted part of the text, the phrases said not to be wanted, the phrases said not
        taken yet (left in the wanted part: only the titles in them are no seed), and whether the
        unwanted were said as a standing dislike ("i hate musicals") rather than for now ("no musicals").
        What a negation excepts is wanted ("not a fan of musicals except la la land")."""
        text = _EXCEPTION.sub(lambda match: match.group("negation") + " , ", text)
        avoided: list[str] = []
        unseen: list[str] = []

        def sort(match: re.Match[str], cue: str) -> str:
            what = match.group("what").strip()
            if _UNSEEN.fullmatch(cue.strip()):  # a name stays no topic either: "Eclipse I haven't read"
                unseen.append(what)
                return " ; " if _title_cased(what) or re.fullmatch(r"[A-Z][\w'-]*", what) else f" {what} ; "
            avoided.append(what)
            return " "

        text = _DISMISSAL.sub(lambda m: sort(m, m.group(0)[m.end("what") - m.start():].strip(" ,")), text)
        lasting = any(_LASTING.search(match.group("cue")) for match in _NEGATION.finditer(text))
        text = _NEGATION.sub(lambda m: sort(m, m.group("cue")), text)
        return text, [a for a in avoided if a], [u for u in unseen if u], lasting

    def _without_categories(self, text: str) -> str:
        """The text without the categories' names; their synonyms ("dragons", "scary") stay, as
        they say more than the category ("dragons" is not all of fantasy)."""
        return self.catalog.without_category_names(text)

    def _unless_categories(self, run: re.Match[str]) -> str:
        """A run of capitalized words is a title ("Avengers: Infinity War": no War category) unless
        it only names categories ("Crime Dramas", "Stephen King")."""
        return run.group(0) if self._names_only(run.group(0)) else " ; "

    def _names_only(self, text: str) -> bool:
        return all(word in _FILLERS for word in re.findall(r"[\w'-]+", self.catalog.without_category_names(text)))

    def _topic(self, text: str) -> str:
        """The content words left: neither fillers nor the catalog's nouns for its items."""
        said = _FAN.sub(" ", _RANKING.sub(" ", _AGE.sub(_who_by_age, text))).lower()
        words = [w for w in re.findall(r"[\w'-]+", said) if w.replace("'", "") not in _FILLERS
                 and w.rstrip("s") not in self._nouns and w not in self._nouns and not w.isdigit()]
        return " ".join(words[:MAX_TOPIC_WORDS])
