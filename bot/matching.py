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

Chat messages on a large catalog are full of words that are also titles ("Evening! ...", "can you
help", "a big fan", "heist movies", "for the kids", "about space and the moon"): a title made of
such words, or typed lowercase where the sentence needs a word, counts only typed as a name, in a
list ("finding nemo, up and coco") or with its year. A typo is never another word of the catalog
("drive" for "live") nor an inflection ("artists"). Sequel numbers read alike in digits, Roman
numerals and superscripts ("rocky 2", "Rocky II", "Alien³"); bullets, numbered lists, "+" and "|"
separate titles; the last part of a title after a colon or dash is a name of it ("Return of the
Jedi"); a capitalized name is not cut at "of" ("The Wolf of Wall Street" is no "Wolf").

How people type in chat widgets and forums adds more (the blind development sets of issue 19):
numbers spelled out read as digits ("Ocean's 11", "The Hateful 8"); an emoji ends a sentence
and "=" breaks; a list may begin with a title made of words typed as a name ("Saw, Final
Destination & Scream"); the last word of a longer capitalized name is no part of a title
("A Walk to Remember" names no Remember the Titans). What listed titles share is left out and
put back from the title before ("The Bourne Identity / Supremacy / Ultimatum", "Matrix Reloaded
and Revolutions", "die hard 1 and 2"); a series is named by numbers ("toy story 1-3", "the first
two Hunger Games books": by sequel numbers or the series noted in the titles, "(The Hunger Games,
#2)"), "rocky 1" is Rocky, a series' name its first book when nothing else has it ("Mistborn"),
and the initials a title begins with are a name of it ("E.T.", "ET"). Among same-titled items the
one sharing a category (an author) with the other titles of the message is meant ("Twilight, New
Moon, Eclipse"), where only recency chose before.

Other names of a title (issue 19, third round): a number written inside a word reads as the
number ("Se7en" is "seven", so "Seven" typed as a name finds it; "2nd" or "mp3" stay words), and
numbers of two words as digits ("twenty one jump street"). The initial letters of a title of two
words or more, numbers kept whole, are an acronym of it ("LOTR", "BTTF", "T2", "ACOTAR", and of a
series noted in titles, "asoiaf 1-3"): read only for a word alone typed in capitals, or lowercase
of four letters or more in a list or alone, when it is no word of the catalog's titles or
descriptions nor a chat abbreviation ("USA", "AM", "nah"), and when it is the acronym of one name
only ("HP" of Harry Potter and Hocus Pocus names nothing; "LOTR" of three films names one,
unsure). A catalog's alternative titles (an attribute such as ``original_title`` or ``aka``)
are names of their item when no title of the catalog has them.

How titles are named in recommendation dialogues (issue 19, the third blind development sets):
arrows list ("Alien -> Aliens"); "'21" and "from 1930" are a title's year, and so is a year in a
comment ("(Cocteau, 1946)"), while a comment in brackets typed lowercase names nothing ("(the
short stories)"); "20,000" is twenty thousand, "vs" between names the "v" of "Ford v Ferrari", a
curly apostrophe an apostrophe and "ß" "ss". A title of one word of six letters or more typed
with one letter wrong or two swapped counts in a list ("Casnio", "Momento"); a word of five
letters needs another word of the title ("the matix", never "Circe" for The Circle); no word typed
is one the title lacks ("Stephen King's It"), and endings spelled two ways are one ("Jacky Brown",
"colour"). A sequel is named by an ordinal after its title ("Toy Story and the second one",
"Divergent and the sequel"), the first of same-named items by "1" ("kill bill 1": Vol. 1); the
end of a title after "of", "and" or a possessive is a name of it typed in a list ("Life of Brian
and Holy Grail", "Dorian Gray"); a title is a title after a verb of taste when a title follows it
in a list ("love up and coco"), before "by" and its author ("Night by Elie Wiesel"), after a
possessive typed without its apostrophe ("Tarantinos Jackie Brown"), and one long title after
another with nothing between ("divergent insurgent allegiant"). Part of a title that goes on as
another name names nothing ("An American in Paris", "Harry Potter and the Philosophers Stone"),
nor do a category's possessive ("Stephen King's"), a box set of the titles named ("Eragon &
Eldest (Inheritance, #1-2)" for "eragon and eldest"), a predicate ("you're home alone", "they
were perfect") or the head of a phrase ("get out of our heads"). Another title that is some
other item's name is a tie of that name, for the other titles of the message to choose
("Northern Lights and The Subtle Knife": Pullman's).

How people answer "which did you like?" in chat (issue 19, the fourth blind development sets):
words as chat spells them, typed lowercase between words, are those words ("toy story 2 n 3",
"catch me if u can"), and so is "and" in the languages people mix in ("Titanic y The Notebook",
"la dolce vita e cinema paradiso"), while "E.T." and "ET" stay names; "w/" is "with" and "Pvt"
"private"; "etc", "obvs", "every" ("elf and love actually every december") end a title; "even" before
a word makes it one of the sentence ("catching fire even better"); a number after next year is
no year ("Blade Runner (the original, not 2049)"); a series' name and a number name the book noted
so ("twilight 2"), and a title of another script is no number ("2 ضباط" names no "2"); the last
word of a short title, of no other title or category, typed capitalized in a list names it
("Totoro and Mononoke"; not "Prisoners" of a long title). The request reader drops a title taken
back ("Se7en, sorry I meant Zodiac") and one dismissed after it ("mockingjay not so much",
"Allegiant I haven't read yet", "didn't read the death cure").

How titles are named in recommendation dialogues when asked for a few one loved (issue 19, the
fifth blind development sets): the end of a title keeps the article it has there ("the prisoner
of azkaban and the deathly hallows part 2", and the ends of titles with a subtitle are names too),
unless it goes on from a capitalized word ("Charlie and the Chocolate Factory" is no Willy Wonka);
a title with its own article before the noun of the items is named ("the matrix movie and ..."),
and present forms of the verbs of taste head a list ("watches frozen and zootopia"). A sequel is
named after a sentence that goes on with "and" ("Back to the Future! and the second one") and by
another subtitle of the same main title ("Spider-Man: Into the Spider-Verse and its sequel", "Top
Gun and its sequel"). What titles share is put back only across a separator ("life of pi are
beautiful" is no Life Is Beautiful). Words of the sentence are no titles: one word typed lowercase
after "so", "still", "too" or a "n't" ("flynn is so dark", "still waiting", "haven't started"), an
object pronoun ("both of us"), two words after "in" ("in high school"), one word joined by "and" or
"or" to an ordinary word of the catalog's titles that no title covers ("short and beautiful",
"life and death", "the sea and sailing", "light and funny"; "frozen and moana" keeps Frozen), the
last name of an author of the other titles ("the green mile and the gunslinger, king at his
best"), the end of a capitalized name after an article and a word of the sentence ("The Great
Alone"), a title beginning with a preposition after an infinitive ("something to read on the road",
"on the beach") and a word in "-ing" before an article or a possessive ("help finding a book"). A
capitalized word before a colon is a heading, not the start of a name ("Kubrick: Dr. Strangelove"),
and a number that is all of a title's main part names it between the titles of a list, where it is
no year of the title before ("Dr. Strangelove, 2001 and Barry Lyndon"; not "Amelie, 2001 and ...").

How seekers open a recommendation dialogue (issue 19, the sixth blind development sets): a title
typed lowercase at the start of a list item ends where its predicate begins, a verb in the past
tense before an object or a preposition ("gone girl wrecked me", "primer messed with my head") or
a clause opener ("eldest when i was 12"; one word opening the message only with an article: "the
road destroyed me", while "life changed me" names nothing), and a title opening a sentence is a name before a comma
and a comment of taste ("the help, loved it"). A whole title of three words with its own article
is named after a preposition ("grew up on the jungle book"); a title typed with its small words
left out is that title ("monty python holy grail", "indiana jones temple of doom"), and an end of
a title may hold a chat word that is no small word ("the Last Crusade"). A word of six letters or
more of one title alone, no category's, names it typed lowercase before another title of two real
words ("fellowship and return of the king", "totoro and kikis delivery service"; "wizards and the
sea" names nothing). What two titles share left out keeps the first ("the avengers and endgame"),
and the end of a title after a verb of taste heading a list keeps its article ("finished the
prisoner of azkaban & ..."). Of parts numbered in their titles the name is the first part ("kill
bill": Vol. 1), and a number typed after a name stands after it in the title, maybe after "part"
or "chapter" ("john wick 2"; "harry potter 2" is no Deathly Hallows: Part 2); of same-titled
items with nothing else to choose by, the one most rated where the catalog says
(POPULARITY_ATTRIBUTES), before the most recent. Words of the sentence are no titles:
lowercase words after a modal ("will make me cry"), a title of chat words alone after a comma
that is the only one of its message ("a reading slump, help"); while the last word of a title
before "and" is no word of a preposition's phrase ("v for vendetta and watchmen"), nor is a title
after "and" one of a pair of ordinary words when a longer name ends before it ("lessons in
chemistry and the goldfinch").

How seekers compare, hedge and number titles (issue 19, the seventh blind development sets): a
lowercase title ends before a comparison or a modal ("emma less so", "zodiac best of all",
"paddington 2 might be ..."), and one word after "was" or "is" that follows a name is said of it
("neverwhere was better" names no Better); an object pronoun before "was" or "is" is a title ("Us
was ok"). "then" lists ("..., then goblet of fire"), and a title's year does not hide the list mark
after it ("Chamber of Secrets (2002) and ..."). A word of one title alone names it before a one-word
title no other has ("lebowski and fargo") and with its article before another title ("the
fellowship, the two towers"), and a number opening a message before "and" and a title
names its title ("2001 and solaris"). A year between an article and a title picks among
same-titled items ("the 1946 beauty and the beast"); "the", an ordinal and a series' name name that
member ("the third maze runner book"), and a part word with a number alone the part of the title
before ("kill bill vol. 2 was better than vol. 1", "the godfather part iii ... part 1"). Words of
the sentence are no titles: a series or an author's last name before a plural noun for the items,
of the other titles named ("my favourite King books", "the best dark tower books"), a lowercase
title opening with a preposition after a word of the sentence ("a long night on the road", "grows up
in the woods"; after a verb of taste it is one), "last summer" and its like, "imo", and a loose
lookalike (a typo or part of a title) typed lowercase after a comma at a message's end, of no
category the titles before share ("..., guilty pleasure", "..., don't judge").

Titles inside chatty messages full of other names (issue 19, the eighth blind development sets):
names typed capitalized as titles are, that are one-word titles of a large catalog, are no titles
in these places, while the titles beside them are: a person's name after a possessive and a noun
for someone ("my friend Logan", "my son Max"); a place or a day after a preposition ("from
Chicago", "to Rome" after a word of the sentence, "on Saturday", "on Halloween night"), unless a
list of titles goes on after it ("grew up on Jaws and Alien"; "similar to Gravity" names it) or a
name comes before "in" (an actor in a film: "Al Pacino in Heat"); a
name in the possessive before a title ("King's The Shining", "Percy Jackson's The Lightning
Thief"); part of titles before or ending on a noun that makes it a kind of thing, maybe across
"and" ("an Indiana Jones kind of adventure", "the Percy Jackson series", "a Harry Potter and Lord
of the Rings fan"); an object pronoun opening a sentence before "and" and no title ("Me and
Priya"), and an author's last name of the other titles typed capitalized before a word of the
sentence ("Hamlet, Macbeth - Shakespeare marathon"). Words rejected so are no lookalike either,
nor is a word before "than" ("Eragon better than Eldest") nor a verb in the past tense right before
a title ("and started Never Let Me Go"). Two letters next to each other swapped are a typo of a
title's word however short ("the catcher in the rey", "jurasic prak"; the whole still has to be
as close as SURE_SCORE), and "etc" closes a list ("jaws, jurassic park, close encounters etc").

Titles as people type them in a chat widget (issue 19, the ninth blind development sets): words
that open or close a clause ("already", "because", "although") and "fav" are fillers, so a title
typed lowercase ends before them ("i have watched already the matrix", "loved the martian because
..."); an adjective that is a title's word less its ending is no typo of it ("both incredible" is no
The Incredibles); a letter of a name before "and" is no chat "and" ("wall e and up"); a list ends
where its predicate begins ("coco and up made me cry"). Acronyms: lowercase with a sequel's number
("t2 and aliens"), or opening the message before its predicate ("tfios made me cry"); a series'
acronym before words of one member's title names it ("lotr fellowship", "LOTR return of the
king"). A series a catalog names by a shared beginning without numbering it ("Harry Potter and the
...", "The Lord of the Rings: ...") is numbered by release, up to the first member that carries a
number of its own ("harry potter 1-3", "lord of the rings 2"), and has the acronym of its name
("lotr 1-3"). An other title's own "or" and "and" are no list's ("The Hobbit or There and Back
Again"), unless they join names ("Animal Farm & 1984", a box set's); and a whole title typed
without its apostrophe that ends on a noun for a kind of thing is still the title ("its kind of a
funny story and ...").
"""

from __future__ import annotations

import heapq
import math
import re
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import date
from functools import lru_cache

from rapidfuzz import fuzz, process
from rapidfuzz.distance import OSA

from bot.catalog import Catalog, Item
from bot.encoder import Encoder
from bot.index import ItemIndex

SURE_SCORE = 88.0  # whole-string similarity of a title typed with typos
FUZZY_MIN_SCORE = 85.0  # a phrase aligned inside a longer title at least this well is part of it
LOOKALIKE_MIN_SCORE = 70.0  # whole-string similarity of a title that only looks like the phrase
SEMANTIC_MIN_SIMILARITY = 0.45
TYPO_MIN_SCORE = 80.0  # a word no title has is read as the title words this close to it
# one word typed wrong is a title only this long: five letters are too few ("Circe" is no "Circle")
TYPO_WORD_MIN_LENGTH = 6
MAX_SPAN_WORDS = 16  # longer titles are found by their beginning, as part of a title
MAX_FUZZY_SPANS = 150  # per message; a very long message gets exact lookups only beyond this
MAX_CANDIDATES = 40  # titles compared fuzzily with one span
COMMON_WORD_TITLES = 200  # a word in more titles than this says little about which one is meant
MAX_MEANING_LOOKUPS = 3  # embedding a phrase costs milliseconds: this many per message at most
RARE_WORD_MIN_LENGTH = 6  # one word no other title has names its title if at least this long
YEAR_TOLERANCE = 1  # a year typed this far from the item's still names it ("Heat (1996)")
MAX_CONTINUED_WORDS = 8  # a title's first words left out, or the rest of it, are at most this long
MAX_TOKENS = 300  # words and breaks of a message read; a chat message is far shorter

# What a covered word is worth, by how its span matched: the exact "Good, the Bad and the Ugly"
# outweighs its pieces; part of a title counts less than a whole one.
_LOOKALIKE, _PART, _TYPO, _EXACT = range(4)
_WEIGHT = {_EXACT: 1.0, _TYPO: 1.0, _PART: 0.6, _LOOKALIKE: 0.3}

_ARTICLE = re.compile(r"^(?:the|a|an) ")
_ARTICLES = frozenset({"the", "a", "an"})
_TITLE_NOTE = re.compile(r"\s*\([^()]*\)\s*$")  # "Title (Series, #1)", "Title (1995)"
_COLLECTION_NOTE = re.compile(r"#\d+\s*-\s*\d+\)\s*$")  # "(Inheritance, #1-2)": a box set of the series' books
_SERIES_NOTE = re.compile(r"\(([^()#,]+),? #(\d+)\)\s*$")  # "(The Hunger Games, #2)", not "#1-3" nor "#1.5"
_INITIALS = re.compile(r"^((?:[A-Za-z]\.){2,})(?=\s)")  # "E.T. the Extra-Terrestrial"
_SUBTITLE = re.compile(r"\s*:.*$")  # "Freakonomics: A Rogue Economist Explores ..."
_SENTENCE_BREAK = re.compile(r"(?<=\w)\.\s+")  # "Das Parfum. Die Geschichte eines Mörders"
_TITLE_PARTS = re.compile(r"\s*:\s+|\s+-\s+")  # "Star Wars: Episode V - The Empire Strikes Back"
# a dash between spaces breaks ("Heat - Mann"); a smiley ends a sentence ("good morning :) Help me")
# an arrow breaks as a dash does ("Alien -> Aliens"); "20,000" is one number; "'79" a year
# ("w/" is "with": "the girl who played w/ fire")
_TOKEN = re.compile(r"(?<![a-z0-9])w/(?=\s*[a-z])"
                    r"|(?<![a-z0-9])'\d\d(?![a-z0-9])|\d{1,3}(?:,\d{3})+(?![0-9])|[a-z0-9]+|&|[:;]-?[()]|-+>|=+>"
                    r"|[,;/\n.!?*+|=]|(?<!\S)-+(?!\S)")
_YEAR = re.compile(r"^(?:1[89]|20)\d\d$")
_ROMAN = {"ii": "2", "iii": "3", "iv": "4", "vi": "6", "vii": "7", "viii": "8", "ix": "9"}
# Numbers spelled out read as digits too ("Ocean's 11", "The Hateful 8", "13 Reasons Why",
# "Slaughterhouse 5"); "one" stays a word ("the one with", "Ready Player One" typed as such).
_NUMBER_WORDS = dict(zip("""two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen
                           sixteen seventeen eighteen nineteen twenty""".split(), map(str, range(2, 21))))
_NUMBERS = _ROMAN | _NUMBER_WORDS
# Endings spelled in several ways (British and American, names): (pattern, one spelling)
_SPELLINGS = tuple((re.compile(pattern), ending) for pattern, ending in (
    (r"(?<=\w{3})ie$", "y"), (r"(?<=\w{3})our$", "or"), (r"(?<=\w{2}[^aeiou])re$", "er"), (r"(?<=\w{2})ise$", "ize"),
    (r"(?<=\w{2})yse$", "yze")))
# "Toy Story and the second one", "Twilight and the 2nd book"
_ORDINALS = {"second": 2, "third": 3, "fourth": 4, "fifth": 5, "2nd": 2, "3rd": 3, "4th": 4, "5th": 5}
# "twenty one" is 21 ("21 Jump Street"), "fifty" 50 ("Fifty Shades of Grey" typed "50 shades")
_TENS = dict(zip("twenty thirty forty fifty sixty seventy eighty ninety".split(), range(20, 100, 10)))
_TEN_DIGITS = {word: str(number) for word, number in _TENS.items()}
_UNITS = dict(zip("one two three four five six seven eight nine".split(), range(1, 10)))
_SPELLED = {int(digits): word for word, digits in _NUMBER_WORDS.items()} | {1: "one"} | {v: k for k, v in _TENS.items()}
# a digit standing for its number word inside a word: "Se7en" is "seven", "Thr3e" "three"
_LEET = re.compile(r"^([a-z]+)(\d{1,2})([a-z]+)$")
# and common abbreviations as the word ("Sunset Blvd", "Dr Zhivago", "Godfather Pt 2", "Alien vs Predator")
_ABBREVIATIONS = {"blvd": "boulevard", "dr": "doctor", "mr": "mister", "pt": "part", "pvt": "private", "vol": "volume"}
# Words as chat spells them, and "and" in the languages people mix in: "toy story 2 n 3", "catch
# me if u can", "me encantó Coco y Up", "la dolce vita e cinema paradiso". Read so only typed
# lowercase between two words ("E.T.", "ET" and "Stephen King's N." stay names); "w/" always.
_CHAT_WORDS = {"n": "and", "u": "you", "y": "and", "e": "and", "et": "and", "und": "and", "och": "and", "og": "and"}
# "&", and "meets" of a pitch ("Alien meets Jaws": both; a title with it reads it alike)
_AND_WORDS = frozenset({"&", "meets"})
_VERSUS = {"vs": "v", "versus": "v"}  # between two names: "Ford vs Ferrari" is Ford v Ferrari
# "Twenty Thousand Leagues Under the Sea" typed "20,000 Leagues ..."
_MULTIPLIERS = {"hundred": 100, "thousand": 1000}
_PUNCTUATION = frozenset(",;/\n.!?-*+|=")
# Marks that do not fold to ASCII but still mean something between titles: bullets list, dashes
# and arrows break ("Alien → Aliens"), curly apostrophes are apostrophes ("L’Étranger", "’79").
_MARKS = {"•": "*", "‣": "*", "◦": "*", "–": "-", "—": "-", "―": "-", "→": " -> ", "⟶": " -> ", "’": "'", "‘": "'"}
# and letters NFKD leaves whole, as they are spelled in ASCII ("Der Prozeß" typed "Der Prozess")
_LETTERS = {"ß": "ss", "æ": "ae", "œ": "oe", "ø": "o", "ł": "l", "đ": "d", "ð": "d", "þ": "th"}
_MARKS |= _LETTERS | {letter.upper(): ascii_form for letter, ascii_form in _LETTERS.items() if len(letter.upper()) == 1}
# "1. The Shining 2. The Exorcist": list numbers, read as breaks when they count 1, 2, ... from the start
_LIST_NUMBER = re.compile(r"(?<![\w.,])(\d{1,2})[.)](?=\s)")
_ASIDE = re.compile(r"(?<=\w)\s*\((?=[^()]*[^\W\d_])[^()]*\)")  # "Heat (Michael Mann)", not "Heat (1995)"
_ASIDE_YEAR = re.compile(r"(?<![\w'’])(?:1[89]|20)\d\d(?!\w)")
# what separates the items of a list ("..., then goblet of fire")
_LIST_MARKS = frozenset(",;/\n*+|-") | {"and", "or", "plus", "nor", "then"}
# What a one-word title followed by it is an adjective of: "heist movies", "war films"
_KIND_NOUNS = frozenset("movie movies film films flick flicks book books novel novels show shows series".split())
_KIND_PLURALS = frozenset("movies films flicks books novels shows series".split())  # "King books": of a kind
_JOINS = frozenset("of to in on at for from with the".split())  # small words inside a name: "A Walk to Remember"
_TAIL_CUTS = frozenset({"of", "and", "s"})  # where the end of a title people type alone begins: "Holy Grail"
# what opens a sentence before a comma without naming anything: "Hello, Can you ...", "Well, Heat ..."
_INTERJECTIONS = frozenset("hi hello hey hiya yo ok okay yes yeah no nope well so thanks please sorry oh um hmm wow also".split())
# what people do with titles they name: a list after these begins with a title ("love up and coco")
_TASTE_VERBS = frozenset("""love loved loves like liked likes enjoy enjoyed enjoys adore adored adores watched rewatched
                            watch watches rewatch rewatches reads
                            seen saw read reread finished downloaded bought""".split())
_INTENSIFIERS = frozenset("big huge great good real really very so little nice".split())
# A word typed lowercase right after these is an adjective or a verb of the sentence: "flynn is so
# dark", "still waiting for book 3", "haven't started the third" (the "t" of "n't")
_DEGREE = frozenset("so still too very quite pretty super kinda rather t".split())
# A verb in the past tense after a title typed lowercase, then one of these, begins the predicate
# the title is the subject of ("gone girl wrecked me", "primer messed with my head"); the regular
# ones end in "-ed", these do not
_IRREGULAR_PASTS = frozenset("blew broke got kept left took gave felt became stole won hit ruined made".split())
_BACK_REFERENCES = frozenset("it that this them both".split())  # "the help, loved it"
_CLAUSE_OPENERS = frozenset("when while because cause cuz coz though although whenever".split())
# a comparison after a title typed lowercase is a comment on it, with no verb: "emma less so",
# "zodiac best of all", "wise man's fear slightly less so"
_COMPARISONS = frozenset("less better worse best worst slightly".split())
_OBJECTS_AFTER_VERBS = frozenset("me us him her them you it my our everyone everybody with up out away".split())
# an object pronoun typed lowercase is one, not a title ("something for both of us"), unless listed
_PRONOUNS = frozenset("us me him them".split())
_OBJECT_PRONOUNS = _PRONOUNS | {"her"}  # "her" is a determiner too ("her friends")
_PREPOSITIONS = frozenset("about with for in at on".split())
_OBJECT_DETERMINERS = frozenset("a an the my your his her our their".split())  # "finding a book"
# "want to drive": the word after these and "to" is a verb
_WANTING = frozenset("want wants wanted wanna need needs like love would going have has try trying able".split())
# "last summer", "next week", "this winter": when, typed lowercase, not a title ("The Last Summer")
_TIME_DEICTICS = frozenset("last next this that every".split())
_TIME_NOUNS = frozenset("""summer winter spring fall autumn year month week weekend night day time christmas
                           holidays morning evening""".split())
# a verb follows these: "that will make me cry", "it might change your life"
_MODALS = frozenset("will would can could should might must shall may".split())
# Endings that make another English word of a title's word: "artists" is no typo of "The Artist"
_INFLECTIONS = ("s", "es", "y", "ed", "ing", "er", "ers", "ly", "ish")
_SENTENCE_ENDS = frozenset(".!?\n")
_SEPARATORS = frozenset({"and", "or", "plus", "nor"})
# A title of one real word typed lowercase right after these is a word of the sentence: "my
# daughter", "set in paris", "what next".
_DETERMINERS = frozenset("""my your his her our their in at on what a an the this that some any about with for
                           something anything nothing everything last next every each even""".split())
# A pronoun and "be" before words typed lowercase make them a predicate: "you're home alone", "they were perfect"
_SUBJECTS = frozenset("i you we they he she it".split())
# a name typed after these and a noun for someone is the person's ("my friend Logan")
_POSSESSIVE_DETERMINERS = frozenset("my our your his her their".split())
# a name typed after these is a place or a time ("from Chicago", "on Saturday"), unless a list goes on
_PLACE_PREPOSITIONS = frozenset("in from to at on near since until".split())
# part of titles before these is a kind of thing, not a title ("a Harry Potter kind of adventure")
_KIND_OF = _KIND_NOUNS | frozenset(
    "kind sort type fan fans saga universe franchise story stories adaptation adaptations comic comics world".split())
_COPULAS = frozenset("m re s am are is was were".split())
_COPULAS_SPELLED = frozenset("am are is was were".split())  # not "s", a possessive too ("Orwell's 1984")
# English words that surround titles in a message ("i loved", "something like", "and maybe",
# "what about", "please"). A title may start or end next to them, they are never reported as
# unmatched, and a title made of them alone ("It", "Up") counts only when typed as a name.
# (Adverbs and conjunctions that open or close a clause after a title typed lowercase are among
# them: "i have watched already the matrix", "i loved the martian because ...": a word no filler
# would join the title, "the matrix already" then looking like The Matrix Reloaded.)
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
    hi hello hey heya hiya yo morning evening afternoon lol haha omg btw tbh idk imo imho help up after ever
    adore adores adored rewatch rewatched rewatching watching binge binged recently hooked such between
    under below above since go lets let big huge all vs versus first original etc obvs obviously tho meh every
    already because although fav favs
    """.split()
)

# A catalog may give an item's other titles in one of these attributes (goodbooks-10k's
# "original_title": "Harry Potter and the Philosopher's Stone"), several split by "|" or ";".
ALTERNATIVE_TITLE_ATTRIBUTES = ("alternative_titles", "alternative_title", "alt_titles", "alt_title", "aka",
                                "also_known_as", "other_titles", "original_title")
_ALTERNATIVES_SPLIT = re.compile(r"\s*[|;]\s*")
# and how many people rated or reviewed an item in one of these (goodbooks-10k's "ratings_count"):
# of same-titled items with nothing else to choose by, the best known is meant ("wicked": Maguire's)
POPULARITY_ATTRIBUTES = ("ratings_count", "work_ratings_count", "num_ratings", "rating_count", "votes", "num_votes",
                         "review_count", "reviews_count", "popularity")
# Acronyms of titles ("LOTR", "ACOTAR", "T2") are looked up only for a word typed in capitals, or
# lowercase of ACRONYM_MIN_LETTERS or more that one item alone has; never for what chat abbreviates otherwise.
_CHAT_ACRONYMS = frozenset("""
    ok ty tv us uk usa eu nyc la ny dc sf ya pg dvd vhs hd uhd cgi imax imdb hbo bbc mcu dceu ufo fbi cia nasa ai
    am pm id lol omg btw tbh idk imo imho fyi asap aka rn tl dr lmao rofl wtf smh irl np pls plz thx jk nsfw ww
    wwi wwii ww1 ww2 3d 4k 2d lgbt lgbtq diy gf bf bff dm pc ps ps4 ps5 mp3 ko tba tbd ooh ah uh eh hmm
    mhm ngl brb ttyl gtg nvm tbf cmv tho rly srsly ikr ftw fomo yolo goat bday xmas gr8 atm af kk gm gn
    nah yep yup nope meh yay wow huh aww sup bye cya lmk wyd hbu cool sure fine nice okey
    """.split())
# An acronym typed lowercase is at least this long (a chat word of three letters, "nah", is too
# likely), and counts only in a list or alone ("throne of glass and acotar", "bttf").
ACRONYM_MIN_LETTERS = 4


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
    if text.isascii():  # (an emoji or other symbol ends a sentence: "loved the thing 😍 what else")
        return text.lower(), list(range(len(text)))
    folded, origin = [], []
    for position, char in enumerate(text):
        ascii_form = (_MARKS.get(char) or ("!" if unicodedata.category(char) == "So" else "")
                      or unicodedata.normalize("NFKD", char).encode("ascii", "ignore").decode().lower())
        if not char.isascii() and ascii_form.isdigit() and folded and folded[-1].isalpha():  # "Alien³" is "alien 3"
            ascii_form = " " + ascii_form
        for piece in ascii_form:
            folded.append(piece)
            origin.append(position)
    return "".join(folded), origin


@dataclass(frozen=True)
class _Token:
    word: str  # lower-case ASCII ("&" reads "and"), or the punctuation mark itself
    start: int  # offsets in the original text
    end: int


def _without_list_numbers(text: str) -> str:
    """The text with the numbers of a numbered list ("1. Heat 2. Alien") made breaks, offsets
    kept: only numbers counting 1, 2, ... with the first at the start of the text or of a line
    (after a colon too), so "Toy Story 2. Also Up" keeps its 2."""
    numbers = list(_LIST_NUMBER.finditer(text))
    if len(numbers) < 2 or [int(m.group(1)) for m in numbers] != list(range(1, len(numbers) + 1)):
        return text
    if text[:numbers[0].start()].strip() and text[:numbers[0].start()].rstrip()[-1] not in ":\n":
        return text
    for m in numbers:
        text = text[:m.start()] + ";" + " " * (m.end() - m.start() - 1) + text[m.end():]
    return text


def _asides_apart(text: str) -> str:
    """The text with brackets around anything but a year made breaks, offsets kept: "Heat (Michael
    Mann) and Alien" names Heat; "Heat (1995)" keeps its year, and so does a comment with one,
    all but its year left out ("Beauty and the Beast (Cocteau, 1946)" is the one of 1946)."""
    return _ASIDE.sub(_aside_apart, text)


def _aside_apart(aside: re.Match[str]) -> str:
    """One aside as breaks, or as its year alone in brackets when it has one."""
    said = aside.group(0)
    year = next((m for m in _ASIDE_YEAR.finditer(said) if _a_year(m.group(0))), None)
    if year is None:
        return said.replace("(", ";").replace(")", ";")
    opening = said.index("(")
    return (said[:opening + 1] + " " * (year.start() - opening - 1) + year.group(0)
            + " " * (len(said) - year.end() - 1) + ")")


def _tokenize(text: str) -> list[_Token]:
    """Words and breaking punctuation, accents folded away, with their offsets in ``text``."""
    folded, origin = _fold(_asides_apart(_without_list_numbers(text)))
    tokens: list[_Token] = []
    for m in _TOKEN.finditer(folded):
        word = _word(m.group())
        if word in _PUNCTUATION and tokens and tokens[-1].word in _PUNCTUATION:
            continue  # "?!..." is one break
        tokens.append(_Token(word, origin[m.start()], origin[m.end() - 1] + 1))
    return [_Token(_CHAT_WORDS[t.word], t.start, t.end) if _a_chat_word(text, tokens, k) else t
            for k, t in enumerate(tokens)]


def _a_chat_word(text: str, tokens: list[_Token], k: int) -> bool:
    """Whether token k is a word as chat spells it: typed lowercase between spaces, with a word
    on each side ("Titanic y The Notebook", "catch me if u can"), not a letter of initials ("e.t.")
    nor a letter of a name that a separator follows ("wall e and up": an "and" is no "e and")."""
    token = tokens[k]
    if token.word not in _CHAT_WORDS or not 0 < k < len(tokens) - 1 or not text[token.start:token.end].islower():
        return False
    spaced = text[token.start - 1:token.start] == " " and text[token.end:token.end + 1] == " "
    return (spaced and tokens[k - 1].word.isalnum() and tokens[k + 1].word.isalnum()
            and not (_CHAT_WORDS[token.word] == "and" and tokens[k + 1].word in _SEPARATORS))


def _word(token: str) -> str:
    """A token as a word: "&" and "meets" read "and", a dash or arrow of any length is one dash, a smiley a
    full stop, "20,000" is 20000 and "'79" 1979."""
    if token.isalnum():
        return "and" if token.lower() in _AND_WORDS else token
    if token == "w/":
        return "with"
    if token[0] in ":;" and len(token) > 1:
        return "."
    if token[0] == "'":
        return _full_year(int(token[1:]))
    if token[0].isdigit() and "," in token:
        return token.replace(",", "")
    return "and" if token in _AND_WORDS else "-" if token.startswith("-") or token.endswith(">") else token


def _a_year(word: str) -> bool:
    """Whether a word is a year a title may have: "1995", not "2049" (Blade Runner 2049)."""
    return bool(_YEAR.match(word)) and int(word) <= date.today().year + 1


def _full_year(two_digits: int) -> str:
    """A year typed with two digits ("Dune ('21)", "Dawn of the Dead from '78"): of this century up
    to this year, else of the last."""
    century = 2000 if two_digits <= date.today().year % 100 else 1900
    return str(century + two_digits)


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
    """The words to look a title up by: no leading article, Roman numbers and numbers spelled out
    as digits ("Rocky II" is "rocky 2", "twenty one" 21, "twenty thousand" 20000, "Se7en" 7),
    abbreviations spelled out ("Dr." is "doctor"; "vs" and "versus" between names are the "v" of
    "Ford v Ferrari")."""
    if "vs" in words or "versus" in words:
        words = words[:1] + [_VERSUS.get(w, w) for w in words[1:-1]] + words[-1:]
    keyed: list[str] = []
    previous = ""
    for w in words:
        if w in _UNITS and previous in _TENS:  # "twenty one": the 20 read before becomes 21
            keyed[-1] = str(_TENS[previous] + _UNITS[w])
        elif w in _MULTIPLIERS and keyed and keyed[-1].isdigit():  # "twenty thousand" is 20000
            keyed[-1] = str(int(keyed[-1]) * _MULTIPLIERS[w])
        else:
            keyed.append(_NUMBERS.get(w) or _TEN_DIGITS.get(w) or _ABBREVIATIONS.get(w)
                         or (not w.isalpha() and not w.isdigit() and _leet_number(w)) or w)
        previous = w
    return _ARTICLE.sub("", " ".join(keyed))


def _leet_number(word: str) -> str | None:
    """The digits of a word written with them for its number word: "se7en" is 7, "thr3e" 3; not
    "2nd", "mp3" nor "4ever" (letters on both sides of the digits, which stand for the rest)."""
    m = _LEET.match(word)
    if not m:
        return None
    spelled = _SPELLED.get(int(m.group(2)))
    prefix, suffix = m.group(1), m.group(3)
    if spelled and len(prefix) + len(suffix) < len(spelled) and spelled.startswith(prefix) and spelled.endswith(suffix):
        return m.group(2)
    return None


def _spelled(word: str) -> str:
    """A word with a number written in it as its number word: "se7en" -> "seven"."""
    digits = _leet_number(word)
    return _SPELLED[int(digits)] if digits else word


def _words(text: str) -> list[str]:
    return [w for w in map(_word, _TOKEN.findall(_fold(text)[0])) if w not in _PUNCTUATION]


def normalize_title(text: str) -> str:
    """Lower-case ASCII words without punctuation or a leading article: "The Matrix" -> "matrix"."""
    return _key(_words(text))


def _one_slip(key: str, title: str) -> bool:
    """A title of one word typed with one letter wrong, left out, added or two letters swapped
    ("Momento", "Casnio", "the martain"): fewer than SURE_SCORE when the word is short, still a
    typo when it is TYPO_WORD_MIN_LENGTH letters or more, in a list or alone (in a sentence one
    letter makes another word: "something shorter" names no Shooter)."""
    return " " not in key and " " not in title and len(key) >= TYPO_WORD_MIN_LENGTH and OSA.distance(key, title) == 1


def _swapped(word: str, title_word: str) -> bool:
    """Whether a word is a title's word of three letters or more with two letters next to each
    other swapped ("prak" for park, "rey" for rye), which a ratio scores low in a short word."""
    return (len(word) == len(title_word) >= 3 and word != title_word and sorted(word) == sorted(title_word)
            and OSA.distance(word, title_word) == 1)


def _sequel_ordinal(message: _Message, k: int) -> int | None:
    """The number token k names a sequel by: "the second one", "the 3rd book" (2, 3); 0 for "the
    sequel"; None for anything else."""
    word = message.tokens[k].word
    if word == "sequel":
        return 0
    after = message.tokens[k + 1].word if k + 1 < len(message) else ""
    return _ORDINALS.get(word) if after in _KIND_NOUNS or after in ("one", "part") else None


_PART_WORDS = frozenset("part chapter vol volume episode book".split())  # "John Wick: Chapter 2"
_BARE_PART_WORDS = frozenset("part pt chapter vol volume".split())  # "... better than vol. 1"
_PART_NUMBER = re.compile(r"^(.*?)\b(?:part|chapter|volume|episode) (\d+)\b")  # in a title's key: "kill bill volume 2"


def _number_in_place(key: str, title: str) -> bool:
    """Whether a number typed after words stands after those words in the title, maybe after
    "part" or "chapter" ("john wick 2" of John Wick: Chapter 2, "back to the future 2" of ... Part
    II), not elsewhere ("harry potter 2" is no Harry Potter and the Deathly Hallows: Part 2); and
    a number typed first begins the title too ("the first two harry potter movies" names no Part 2)."""
    typed, words = key.split(), title.split()
    at = next((k for k, w in enumerate(typed) if _NUMBERS.get(w, w).isdigit()), None)
    if at is None:
        return True
    number = _NUMBERS.get(typed[at], typed[at])
    if at == 0:
        return bool(words) and _NUMBERS.get(words[0], words[0]) == number
    before = typed[at - 1]
    for k, word in enumerate(words):
        if _NUMBERS.get(word, word) == number:
            j = k - 1
            while j >= 0 and words[j] in _PART_WORDS:
                j -= 1
            if j >= 0 and fuzz.ratio(words[j], before) >= TYPO_MIN_SCORE:
                return True
    return False


def _small_words_left_out(key: str, title: str) -> bool:
    """Whether a title of three real words or more is typed with only its small words ("and",
    "the", "of"...) left out, in its order: "monty python holy grail", "indiana jones temple of
    doom", "harry potter goblet of fire"."""
    typed, words = key.split(), title.split()
    if len(typed) >= len(words) or sum(w not in _FILLERS for w in typed) < 3:
        return False
    k = 0
    for word in words:
        if k < len(typed) and typed[k] == word:
            k += 1
        elif word not in _JOINS and word not in _SEPARATORS and word not in _ARTICLES:
            return False
    return k == len(typed)


def _popularity(item: Item) -> float:
    """How many rated the item, by the first of POPULARITY_ATTRIBUTES it has as a number; 0 without."""
    for name in POPULARITY_ATTRIBUTES:
        value = item.attributes.get(name)
        if value is None or isinstance(value, bool):
            continue
        try:
            return float(value)
        except (TypeError, ValueError):
            continue
    return 0.0


@lru_cache(maxsize=8192)
def _bare(text: str) -> str:
    """A title's key without its article and spaces: "its kind of a funny story" is It's Kind of a Funny Story."""
    return _ARTICLE.sub("", normalize_title(text)).replace(" ", "")


def _split_at(words: list[str], separators: frozenset[str]) -> list[list[str]]:
    """The words between the separators."""
    pieces: list[list[str]] = [[]]
    for word in words:
        if word in separators:
            pieces.append([])
        else:
            pieces[-1].append(word)
    return pieces


def _numbered(word: str) -> bool:
    """Whether a word is letters and then a number ("t2", "hp4")."""
    return bool(re.fullmatch(r"[a-z]+\d{1,2}", word))


def _inflected(word: str, stem: str) -> bool:
    """Whether a word is another English word made of a stem and an ending ("artists" of "artist")."""
    return word.startswith(stem) and word[len(stem):] in _INFLECTIONS


def _spelled_alike(key: str, title: str) -> bool:
    """Whether the words are the title's but for spellings of the same word ("jacky brown" for
    Jackie Brown, "colour", "theatre"), which differ by more letters than a typo."""
    return key != title and key.count(" ") == title.count(" ") and _one_spelling(key) == _one_spelling(title)


@lru_cache(maxsize=1 << 16)  # a catalog's titles are compared again and again
def _one_spelling(key: str) -> str:
    """The words with the endings spelled in several ways spelled one way: "jackie" and "jacky"
    as "jacky", "colour" as "color", "theatre" as "theater", "realise" as "realize"."""
    return " ".join(next((pattern.sub(ending, word) for pattern, ending in _SPELLINGS if pattern.search(word)), word)
                    for word in key.split())


def _numbers(key: str) -> set[str]:
    """The numbers in a title ("part ii" reads 2): a typo never changes them ("Toy Story 3" is
    not "toy story 4")."""
    return {_NUMBERS.get(w, w) for w in key.split() if w.isdigit() or w in _NUMBERS}


@dataclass(frozen=True)
class _Found:
    item_id: str
    score: float
    kind: int
    year_ok: bool = True  # False when the year typed with the title is not the item's
    # other items of the name: same-titled ones only the recency rule of TitleMatcher._pick put
    # after this one, and those with it as a shorter name ("Blink" of "Blink: The Power of ...")
    # or as another title ("Northern Lights", the original title of The Golden Compass)
    ties: tuple[str, ...] = field(default=(), compare=False)

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
        self.year = [_a_year(t.word) for t in self.tokens]
        self.breaks = [p or t.word in _FILLERS or y for t, p, y in zip(self.tokens, self.punct, self.year)]
        self.hard = [p or t.word in _SEPARATORS for t, p in zip(self.tokens, self.punct)]
        self.asides = [aside.span() for aside in _ASIDE.finditer(text)]  # comments in brackets
        self.spellings: dict[str, list[str]] = {}  # typo readings, looked up once per message
        self.categories: set[str] | None = None  # the catalog's categories it names, when asked
        self.ordinary: set[int] = set()  # words read as words of the sentence, not titles ("short and beautiful")

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
        """Capitalized mid-sentence ("I loved Up"), so a title even if its words are fillers. The
        pronoun "I" is always capitalized: "I'd" is no "I.D.", while "I, Robot" is a name by its
        next word."""
        if start == 0 or self.tokens[start - 1].word in _SENTENCE_ENDS:
            return False
        k = start
        if self.tokens[k].word == "i":
            if self.text[self.tokens[k].end:self.tokens[k].end + 1] in ("'", "’"):
                return False  # "I'd", "I'm"
            k += 1
            while k < len(self.tokens) and self.punct[k]:
                k += 1
        return k < len(self.tokens) and self.text[self.tokens[k].start].isupper()

    def a_pronoun_as_subject(self, k: int) -> bool:
        """Whether token k is an object pronoun before "was" or "is" ("Us was ok", "her is so sweet"):
        no pronoun is so used, a title is."""
        return (k + 1 < len(self.tokens) and self.tokens[k].word in _OBJECT_PRONOUNS
                and self.tokens[k + 1].word in ("was", "is"))

    def in_capitals(self, k: int) -> bool:
        """Whether token k is typed in capitals ("LOTR", "T2") in a message not typed all in
        capitals ("I LOVED IT")."""
        said = self.text[self.tokens[k].start:self.tokens[k].end]
        if self.punct[k] or not said.isupper():
            return False
        others = [t for j, t in enumerate(self.tokens) if j != k and not self.punct[j]
                  and sum(c.isalpha() for c in self.text[t.start:t.end]) >= 2]
        return not others or any(not self.text[t.start:t.end].isupper() for t in others)

    def refers_back(self, start: int, end: int) -> bool:
        """Whether tokens start..end-1 are only fillers and separators, in one sentence: what
        follows still speaks of the title before ("Toy Story and then the second one")."""
        return all((self.hard[k] or self.tokens[k].word in _FILLERS) and (
            self.tokens[k].word not in _SENTENCE_ENDS or (k + 1 < end and self.tokens[k + 1].word in ("and", "also")))
                   for k in range(start, end))  # (a sentence going on with "and": "Back to the Future! and the second one")

    def possessive(self, k: int) -> bool:
        """Whether token k is a name in the possessive typed without an apostrophe: "Tarantinos"."""
        said = self.text[self.tokens[k].start:self.tokens[k].end]
        return len(said) > 4 and said[0].isupper() and said.endswith("s") and not said.isupper()

    def dated_at(self, k: int) -> int | None:
        """Where the year of a title ending before token k is: at k ("Heat 1995", "Heat (1995)")
        or after "from" ("All Quiet on the Western Front from 1930", "Dawn of the Dead from '78")."""
        if k < len(self.tokens) and self.year[k]:
            return k
        return k + 1 if k + 1 < len(self.tokens) and self.tokens[k].word == "from" and self.year[k + 1] else None

    def dated_before(self, k: int) -> int | None:
        """The year typed between an article and a title starting at token k ("the 1946 beauty and
        the beast"), which picks among same-titled items as a year after it does."""
        if k >= 2 and self.year[k - 1] and self.tokens[k - 2].word in _ARTICLES:
            return int(self.tokens[k - 1].word)
        return None

    def remarked(self, k: int) -> bool:
        """Whether token k is a word of a comment in brackets typed lowercase ("Sherlock Holmes (the
        short stories)", "(king is my guy)"): a remark on the title before, naming none."""
        start = self.tokens[k].start
        return any(begin <= start < end for begin, end in self.asides) and not self.typed_as_name(k)

    def bracketed(self, k: int) -> bool:
        """Whether token k is in brackets: "(2012)"."""
        return self.text[:self.tokens[k].start].rstrip().endswith("(")

    def capitalized(self, k: int) -> bool:
        return 0 <= k < len(self.tokens) and not self.punct[k] and self.text[self.tokens[k].start].isupper()

    def cuts_a_name(self, start: int, end: int) -> bool:
        """A capitalized span that is only a piece of a longer name joined by "of" ("Wolf" or "Wall
        Street" of "The Wolf of Wall Street", a title the catalog may lack)."""
        if not self.capitalized(start):
            return False
        after = end + (end + 1 < len(self.tokens) and self.tokens[end].word == "of" and self.tokens[end + 1].word == "the")
        before = start - 1 - (start >= 2 and self.tokens[start - 1].word == "the" and self.tokens[start - 2].word == "of")
        return ((end < len(self.tokens) and self.tokens[end].word == "of" and self.capitalized(after + 1))
                or (before >= 1 and self.tokens[before].word == "of" and self.capitalized(before - 1)))

    def ends_a_name(self, start: int) -> bool:
        """A capitalized span after a small word that follows a capitalized word inside a sentence:
        the end of a name ("Remember" of "A Walk to Remember", a title the catalog may lack), not
        "Similar to Inception"."""
        k = start - 1
        return (self.capitalized(start) and k >= 2 and self.tokens[k].word in _JOINS and self.capitalized(k - 1)
                and self.tokens[k - 2].word not in _SENTENCE_ENDS)

    def continues_a_name(self, start: int) -> bool:
        """A capitalized span after an article and a word of the sentence typed capitalized: the end
        of a name ("Alone" of "The Great Alone", a title the catalog may lack)."""
        k = start - 1
        return (self.capitalized(start) and k >= 1 and self.capitalized(k) and self.tokens[k].word in _FILLERS
                and self.tokens[k].word != "i" and self.tokens[k - 1].word in _ARTICLES and self.capitalized(k - 1))

    def commented(self, start: int, end: int) -> bool:
        """Whether the words start..end-1 open a sentence and a comment of taste on them follows a
        comma ("the help, loved it. also ..."): then they are a name, as an item of a list is."""
        return ((start == 0 or self.tokens[start - 1].word in _SENTENCE_ENDS) and end + 2 < len(self.tokens)
                and self.tokens[end].word == "," and self.tokens[end + 1].word in _TASTE_VERBS
                and self.tokens[end + 2].word in _BACK_REFERENCES)

    def predicate_at(self, k: int) -> bool:
        """Whether token k, typed lowercase, is a verb in the past tense that a pronoun, a
        preposition or the end follows ("wrecked me", "scared me as a kid", "messed with my head",
        "destroyed me"): what the words before it are the subject of."""
        word = self.tokens[k].word
        if (word in _CLAUSE_OPENERS or word in _COMPARISONS or word in _MODALS) and not self.capitalized(k):
            return True  # a clause, a comparison or a modal: "eldest when i was 12", "emma less so", "paddington 2 might"
        if self.capitalized(k) or not (word in _IRREGULAR_PASTS or (len(word) >= 5 and word.endswith("ed"))):
            return False
        return k + 1 == len(self.tokens) or self.punct[k + 1] or self.tokens[k + 1].word in _OBJECTS_AFTER_VERBS

    def predicate_verb(self, k: int) -> bool:
        """Whether token k is a verb typed lowercase that takes the title after it as its object:
        a past tense ("started", "took") or a verb of taste ("loved", "read")."""
        word = self.tokens[k].word
        return not self.capitalized(k) and (word in _IRREGULAR_PASTS or word in _TASTE_VERBS
                                            or (len(word) >= 5 and word.endswith("ed")))

    def listed(self, start: int, end: int) -> bool:
        """Between the marks of a list ("finding nemo, up and coco", "saw and saw 2"), so a title
        even lowercase and made of fillers; not a greeting before a comma ("hello, i ..."), nor
        what a sentence goes on with after a comment in brackets ("that but (maybe) shorter"). The
        list ends where its predicate begins ("coco and up made me cry")."""
        before = start == 0 or (self.tokens[start - 1].word in _LIST_MARKS and self.text[self.tokens[start - 1].start] != ")")
        end += end < len(self.tokens) and self.year[end]  # the title's year before the mark: "Chamber of Secrets (2002) and"
        after = (end == len(self.tokens) or self.tokens[end].word in _LIST_MARKS or self.tokens[end].word in _SENTENCE_ENDS
                 or (self.tokens[end].word == "etc" and start > 0)  # a list closed by "etc": "jaws, close encounters etc"
                 or (start > 0 and self.predicate_at(end)))  # the list's predicate: "wall e and up made me cry"
        return (start > 0 and before and after) or (before and end < len(self.tokens)
                                                     and self.tokens[end].word in _SEPARATORS) or self.heads_a_list(start, end)

    def heads_a_list(self, start: int, end: int) -> bool:
        """The first of titles typed as names at the start of a line, before a list mark ("Saw,
        Final Destination & Scream"): capitalized, as the next item is; "Hello, I ..." is no list."""
        return ((start == 0 or self.tokens[start - 1].word == "\n") and end + 1 < len(self.tokens)
                and self.tokens[end].word in _LIST_MARKS and self.capitalized(start) and self.capitalized(end + 1)
                and self.tokens[end + 1].word != "i" and self.tokens[start].word not in _INTERJECTIONS)


def _short_names(items: Iterable[Item], titles: dict[str, str], shorten: Callable[[str], str]) -> dict[str, str]:
    """Item id -> the key of a shorter form of its title, when that is another key and not only
    a number."""
    keys = {item.id: normalize_title(shorten(item.title)) for item in items}
    return {i: key for i, key in keys.items() if key and key != titles[i] and not key.replace(" ", "").isdigit()}


def _title_key(title: str) -> str:
    """A title's key; none when its letters are not Latin and only a number is left ("2 ضباط"
    is found by meaning, never as the "2" of "percy jackson 1 & 2")."""
    key = normalize_title(title)
    foreign = any(char.isalpha() and not _fold(char)[0].strip() for char in title)
    return "" if foreign and not any(char.isalpha() for char in key) else key


def _first_sentence(title: str) -> str:
    """A title without what follows a full stop, when both are of two words or more: "Das Parfum.
    Die Geschichte eines Mörders" is "Das Parfum"; "Dr. No" stays whole."""
    if ". " not in title:
        return title
    parts = _SENTENCE_BREAK.split(title, maxsplit=1)
    return parts[0] if len(parts) == 2 and all(len(part.split()) >= 2 for part in parts) else title


def _main_part(title: str) -> str:
    """The title without its note in parentheses and before its subtitle: "Spider-Man" of
    "Spider-Man: Into the Spider-Verse", "Harry Potter and the Deathly Hallows" of "...: Part 2"."""
    return _TITLE_PARTS.split(_TITLE_NOTE.sub("", title))[0]


_SERIES_HEAD = re.compile(r"^(.+?)\s+and\s+the\s+\S")  # "Harry Potter and the Chamber of Secrets"
SERIES_MIN_MEMBERS = 3  # two titles beginning alike are rather a pair ("Beauty and the Beast" twice)


def _released_in_order(items: Iterable[Item], titles: set[str]) -> list[tuple[str, int, str]]:
    """(series key, number, item id) of the series a catalog names by a shared beginning and not
    in notes: the main part of titles with a subtitle ("The Lord of the Rings: The Two Towers")
    or the words before "and the" ("Harry Potter and the Prisoner of Azkaban"), SERIES_MIN_MEMBERS
    titles or more sharing a category (an author, a genre), none of them the name alone ("Star
    Wars" and its episodes are numbered otherwise) and none noted as a series' member. Numbered
    by year up to the first that carries a number of its own in digits or Roman numerals ("...
    Deathly Hallows: Part 2": the catalog may lack the ones between), so that "harry potter 1-3"
    or "harry potter 3" name films a catalog does not number."""
    groups: dict[str, list[Item]] = {}
    for item in items:
        key = _series_head(item.title) if item.year is not None else ""
        if key and not key.replace(" ", "").isdigit():
            groups.setdefault(key, []).append(item)
    numbered = []
    for key, members in groups.items():
        if (len(members) < SERIES_MIN_MEMBERS or key in titles
                or not set.intersection(*(set(m.categories) for m in members))
                or any(_SERIES_NOTE.search(m.title) or _COLLECTION_NOTE.search(m.title) for m in members)):
            continue
        for number, item in enumerate(sorted(members, key=lambda m: m.year), start=1):
            if any(w.isdigit() or w in _ROMAN for w in re.findall(r"[a-z0-9]+", _TITLE_NOTE.sub("", item.title).lower())):
                break
            numbered.append((key, number, item.id))
    return numbered


def _series_head(title: str) -> str:
    """The key of the beginning a title shares with the others of its series: its main part when
    it has a subtitle, else the words before "and the"; "" for neither."""
    main = _main_part(title)
    if main != _TITLE_NOTE.sub("", title):
        return normalize_title(main)
    head = _SERIES_HEAD.match(main)
    return normalize_title(head.group(1)) if head else ""


def _tails(items: Iterable[Item], taken: set[str]) -> dict[str, list[str]]:
    """Key -> item of the ends of titles after their first words, cut at "of", "and" or a
    possessive ("Monty Python and the Holy Grail", "The Picture of Dorian Gray", "Monty Python's
    Life of Brian"), as people type them in a list: of two real words at least (or one and a word
    of chat that is no small word: "the Last Crusade"), of one title alone
    and no other name, cut in the main part of a title with a subtitle (whose ends are other words:
    "A Biography of Kurt Cobain"), with or without the subtitle ("the deathly hallows part 2")."""
    ends: dict[str, set[str]] = {}
    subtitled: dict[str, set[str]] = {}
    for item in items:
        plain = _TITLE_NOTE.sub("", item.title)
        main = _main_part(item.title)  # cut in the main part only ("... and the Deathly Hallows: Part 2")
        words, rest = _words(main), _words(plain)[len(_words(main)):]
        for cut, word in enumerate(words[:-2]):
            if word not in _TAIL_CUTS:
                continue
            for key in {_key(words[cut + 1:]), _key(words[cut + 1:] + rest)}:
                real = [w for w in key.split() if w not in _FILLERS]
                content = [w for w in key.split() if w not in _JOINS and w not in _SEPARATORS and w not in _ARTICLES]
                # (a filler that is no small word counts with a real word: "the Last Crusade")
                if (len(real) >= 2 or (real and len(content) >= 2)) and key not in taken:
                    (subtitled if rest else ends).setdefault(key, set()).add(item.id)
    for key, ids in subtitled.items():  # the ends of titles without a subtitle first
        ends.setdefault(key, ids)
    return {key: list(ids) for key, ids in ends.items() if len(ids) == 1}


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
        self._titles = {item.id: _title_key(item.title) for item in catalog.items}
        # with its article, without a note: "heat" is Heat, not The Heat; "red queen" is no "The Red Queen (...)"
        self._typed = {item.id: " ".join(_words(_TITLE_NOTE.sub("", item.title))) for item in catalog.items}
        self._marks = {i.id: _marks([t.word for t in _tokenize(_TITLE_NOTE.sub("", i.title))]) for i in catalog.items}
        self._categories = {normalize_title(c) for c in catalog.categories}
        self._popularity = {item.id: _popularity(item) for item in catalog.items}
        self._category_words = {word for category in self._categories for word in category.split()}
        # Shorter names people type, looked up after the whole titles: without a trailing note in
        # parentheses ("The Hunger Games (The Hunger Games, #1)"), then without the subtitle after
        # a colon ("Freakonomics: A Rogue Economist ..."), unless only a number is left ("2001").
        notes = _short_names(catalog.items, self._titles, lambda title: _TITLE_NOTE.sub("", title))
        subtitles = _short_names(catalog.items, self._titles,
                                 lambda title: _SUBTITLE.sub("", _TITLE_NOTE.sub("", title)))
        subtitles = {i: key for i, key in subtitles.items() if key != notes.get(i)}
        # and the last part alone, the name of an episode ("The Empire Strikes Back", "Return of the
        # Jedi"): when no other item has it and it has two real words and no number ("Part 2")
        endings = _short_names(catalog.items, self._titles,
                               lambda title: _TITLE_PARTS.split(_TITLE_NOTE.sub("", title))[-1])
        # (a number spelled out is a word of the name: "The Two Towers"; "Part 2" is none)
        raw_endings = {i.id: _words(_TITLE_PARTS.split(_TITLE_NOTE.sub("", i.title))[-1])
                       for i in catalog.items if i.id in endings}
        ending_counts: dict[str, int] = {}
        for key in endings.values():
            ending_counts[key] = ending_counts.get(key, 0) + 1
        endings = {i: key for i, key in endings.items() if ending_counts[key] == 1 and key != subtitles.get(i)
                   and key != notes.get(i) and not any(w.isdigit() or w in _ROMAN for w in raw_endings[i])
                   and sum(w not in _FILLERS for w in key.split()) >= 2}
        # (series key, number) -> item, from the notes of series ("Catching Fire (The Hunger Games, #2)")
        # a number that is all of a title's main part ("2001" of "2001: A Space Odyssey"), a name of
        # it only between titles of a list, where it is no year of theirs ("Dr. Strangelove, 2001 and ...")
        self._number_names: dict[str, list[str]] = {}
        for item in catalog.items:
            main = normalize_title(_main_part(item.title))  # not "3:10 to Yuma"
            if main.isdigit() and main != self._titles[item.id]:
                self._number_names.setdefault(main, []).append(item.id)
        # the dated items with a subtitle by the words of their main part, oldest first, for the
        # sequel of a title with another subtitle (_subtitled_sequel)
        self._subtitled: dict[tuple[str, ...], list[Item]] = {}
        for item in sorted((i for i in catalog.items if i.year is not None), key=lambda i: i.year):
            if _TITLE_PARTS.search(_TITLE_NOTE.sub("", item.title)):
                self._subtitled.setdefault(tuple(_words(_main_part(item.title))), []).append(item)
        self._numbered: dict[tuple[str, int], str] = {}
        for item in catalog.items:
            note = _SERIES_NOTE.search(item.title)
            if note and normalize_title(note.group(1)):
                self._numbered.setdefault((normalize_title(note.group(1)), int(note.group(2))), item.id)
        # and, last, the name of a series for its first book when nothing else has that name
        # ("Mistborn": The Final Empire (Mistborn, #1)), and the initials a title begins with ("E.T.", "ET")
        taken = {key for keys in (self._titles, notes, subtitles, endings) for key in keys.values()}
        series = {i: key for (key, number), i in self._numbered.items() if number == 1 and key not in taken
                  and not key.replace(" ", "").isdigit()}
        # (a series numbered by release is named by its numbers only: "harry potter" alone is unsure)
        released = _released_in_order(catalog.items, set(self._titles.values()))
        for key, number, item_id in released:
            self._numbered.setdefault((key, number), item_id)
        self._series_members: dict[str, list[str]] = {}  # series key -> its items, for "lotr fellowship"
        for (key, _), item_id in self._numbered.items():
            self._series_members.setdefault(key, []).append(item_id)
        initials = {}
        for item in catalog.items:
            letters = _INITIALS.match(item.title)
            if letters:
                initials[item.id] = [key for key in (normalize_title(letters.group(1)),
                                                     normalize_title(letters.group(1)).replace(" ", "")) if key not in taken]
        # other titles the catalog gives ("original_title", "aka"), with and without their subtitle
        every_alternative = self._alternatives(catalog.items)
        unavailable = taken | set(series.values())
        alternatives = [(item_id, key) for item_id, key in every_alternative if key not in unavailable]
        self._names: list[dict[str, list[str]]] = []  # the exact keys, then the kinds of alias
        for keys in (self._titles, notes, subtitles, endings, series):
            names: dict[str, list[str]] = {}
            for item_id, key in keys.items():
                names.setdefault(key, []).append(item_id)
            self._names.append(names)
        self._names.append({})
        for item_id, keys in initials.items():
            for key in keys:
                self._names[-1].setdefault(key, []).append(item_id)
        self._names.append({})
        for item_id, key in alternatives:
            if item_id not in self._names[-1].setdefault(key, []):
                self._names[-1][key].append(item_id)
        # and, last, the end of a title after its first words ("Holy Grail", "Dorian Gray"), in lists only
        self._tails = _tails(catalog.items, {key for names in self._names for key in names} | self._categories)
        self._names.append(self._tails)
        # An other title that is another item's name is a tie of that name ("Northern Lights", also
        # Pullman's The Golden Compass), for the other titles of a message to choose (_coherent).
        self._shadowed: dict[str, list[str]] = {}
        for item_id, key in every_alternative:
            if key in unavailable and item_id not in {i for names in self._names for i in names.get(key, ())}:
                self._shadowed.setdefault(key, []).append(item_id)
        # (item id, key) to compare fuzzily; a title of only non-Latin letters is found by meaning alone
        self._keys = [(i, key) for keys in (self._titles, notes, subtitles) for i, key in keys.items() if key]
        self._postings: dict[str, list[int]] = {}  # word -> positions in self._keys
        for position, (_, key) in enumerate(self._keys):
            for word in set(key.split()) | {key.replace(" ", "")}:  # "walle" finds "WALL·E" typed "wall-e"
                self._postings.setdefault(word, []).append(position)
        self._vocabulary: dict[str, list[str]] = {}  # by first letter: typos rarely hit it
        for word in self._postings:
            self._vocabulary.setdefault(word[0], []).append(word)
        self._openers = {key.split()[0] for _, key in self._keys}  # the words titles begin with
        longest = max((len(key.split()) for _, key in self._keys), default=1)
        self._max_words = min(longest + 1, MAX_SPAN_WORDS)  # + 1 for a leading article
        self._acronyms = self._acronyms_of(catalog.items, notes, subtitles, alternatives)
        # the acronyms of the series noted in titles, for a series named by its numbers ("hp 1-3")
        known = set(self._postings) | _FILLERS | _CHAT_ACRONYMS | {key for tier in self._names for key in tier}
        by_acronym: dict[str, set[str]] = {}
        for item in catalog.items:
            note = _SERIES_NOTE.search(item.title)
            words = [_NUMBERS.get(w, w) for w in _words(note.group(1))] if note and note.group(2) == "1" else []
            if sum(w not in _ARTICLES for w in words) >= 2:
                for start in (0, 1) if words[0] in _ARTICLES else (0,):  # "asoiaf", "soiaf"
                    acronym = "".join(w if w.isdigit() else w[0] for w in words[start:])
                    by_acronym.setdefault(acronym, set()).add(normalize_title(note.group(1)))
        for key in {key for key, number, _ in released if number == 1}:  # and of the series by release ("lotr")
            words = key.split()
            if sum(w not in _ARTICLES for w in words) >= 2:
                for start in (0, 1) if words[0] in _ARTICLES else (0,):
                    by_acronym.setdefault("".join(w if w.isdigit() else w[0] for w in words[start:]), set()).add(key)
        self._series_acronyms = {acronym: keys.pop() for acronym, keys in by_acronym.items()
                                 if len(keys) == 1 and acronym not in known and acronym[0].isalpha()}

    @staticmethod
    def _alternatives(items: Iterable[Item]) -> list[tuple[str, str]]:
        """(item id, key) of the other titles the catalog gives, whole and without a subtitle
        (after a colon, or after a full stop: "Das Parfum. Die Geschichte eines Mörders")."""
        found = []
        for item in items:
            for name in ALTERNATIVE_TITLE_ATTRIBUTES:
                value = item.attributes.get(name)
                if not isinstance(value, str):
                    continue
                for title in filter(None, _ALTERNATIVES_SPLIT.split(value)):
                    plain = _TITLE_NOTE.sub("", title)
                    for variant in dict.fromkeys((plain, _SUBTITLE.sub("", plain), _first_sentence(plain))):
                        key = normalize_title(variant)
                        if key and not key.replace(" ", "").isdigit():
                            found.append((item.id, key))
        return list(dict.fromkeys(found))

    def _acronyms_of(self, items: Iterable[Item], notes: dict[str, str], subtitles: dict[str, str],
                     alternatives: list[tuple[str, str]]) -> dict[str, list[str]]:
        """Acronym -> items: the initial letters of a title of two words or more, numbers kept
        whole ("lotr", "tlotr" for The Lord of the Rings: ..., "acotar", "t2" for Terminator 2:
        Judgment Day), of the title, of it without its subtitle, of the series noted for the
        first of a series, of its other titles. Never a word of the catalog's titles or
        descriptions, a chat word, nor another name of the catalog."""
        sources: dict[str, list[str]] = {}
        for item in items:
            plain = _TITLE_NOTE.sub("", item.title)
            texts = list(dict.fromkeys([plain, _SUBTITLE.sub("", plain), *(_TITLE_PARTS.split(plain)[:1])]))
            note = _SERIES_NOTE.search(item.title)
            if note and note.group(2) == "1":
                texts.append(note.group(1))
            sources[item.id] = texts
        for item_id, key in alternatives:
            sources[item_id].append(key)
        words_known = set(self._postings) | _FILLERS | _CHAT_ACRONYMS
        for item in items:  # (accents left in: cheaper, and an acronym has none)
            words_known.update(re.findall(r"[a-z0-9]+", item.description.lower()))
        names = {key for tier in self._names for key in tier} | set(notes.values()) | set(subtitles.values())
        named: dict[str, dict[str, list[str]]] = {}  # acronym -> the name it is of -> its items
        for item_id, texts in sources.items():
            for text in texts:
                words = [_NUMBERS.get(w, w) for w in _words(text)]
                if sum(w not in _ARTICLES for w in words) < 2 or not words[0][0].isalpha():
                    continue
                for start in (0, 1) if words[0] in _ARTICLES else (0,):
                    acronym = "".join(w if w.isdigit() else w[0] for w in words[start:])
                    if len(acronym) >= 2 and acronym[0].isalpha() and acronym not in words_known and acronym not in names:
                        ids = named.setdefault(acronym, {}).setdefault(_key(words), [])
                        if item_id not in ids:
                            ids.append(item_id)
        # an acronym of several names ("HP": Harry Potter, Hercule Poirot, Hocus Pocus) names none;
        # of one name several items have ("LOTR"), those items, for the caller to confirm
        return {acronym: next(iter(by_name.values())) for acronym, by_name in named.items() if len(by_name) == 1}

    def _by_acronym(self, word: str, capitals: bool) -> list[str]:
        """The items a word typed alone names as their acronym: typed in capitals ("LOTR", "T2"),
        or lowercase when one item alone has it and it has ACRONYM_MIN_LETTERS letters or more or
        ends on a sequel's number ("t2 and aliens": chat spells no such word but "ww2" and "mp3",
        which are chat acronyms)."""
        ids = self._acronyms.get(word, [])
        if capitals or (len(ids) == 1 and (sum(c.isalpha() for c in word) >= ACRONYM_MIN_LETTERS or _numbered(word))):
            return list(ids)
        return []

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
        spans, sequels = self._sequels(message, self._coherent(self._without_ordinary_pairs(message, self._segment(message))))
        spans = sorted(self._ordinal_members(message, spans) + self._bare_parts(message, spans), key=lambda span: span.start)
        found = [(message.tokens[s.start].start, self._as_match(s.found, message.original(s.start, s.end)), s.value)
                 for s in spans]
        unmatched: list[str] = []
        lookups = 0

        starts = {s.start for s in spans}

        def resolve(phrase: tuple[int, int, int, int]) -> bool:
            nonlocal lookups
            if phrase[3] - phrase[2] == 1 and phrase[3] in starts and message.predicate_verb(phrase[2]):
                return False  # the verb whose object is the title after it: "and started Never Let Me Go"
            lookups += 1
            match = self._loosely(message, *phrase, by_meaning=by_meaning) if lookups <= MAX_MEANING_LOOKUPS else None
            if match is not None:
                found.append((message.tokens[phrase[2]].start, *match))
            return match is not None

        found += self._series(message) + sequels
        for stretch in self._leftovers(message, spans):
            if self._qualifies(message, spans, stretch):
                continue
            pieces = self._pieces(message, stretch)
            continued = self._continued(message, spans, stretch, pieces)
            if continued:
                for piece, (match, value) in continued.items():
                    found.append((message.tokens[piece[2]].start, match, value))
                unmatched += [message.original(piece[2], piece[3]) for piece in pieces
                              if piece not in continued and not resolve(piece)]
                continue
            if resolve(stretch):
                continue
            if len(pieces) == 1:
                unmatched.append(message.original(stretch[2], stretch[3]))
                continue
            unmatched += [message.original(piece[2], piece[3]) for piece in pieces if not resolve(piece)]
        found.sort(key=lambda f: f[0])
        first_mentions: dict[str, tuple[int, TitleMatch, float]] = {}
        for mention in found:  # a sure or named mention of an item outranks an earlier loose one
            earlier = first_mentions.setdefault(mention[1].item.id, mention)
            if (mention[1].sure or mention[1].named) and not (earlier[1].sure or earlier[1].named):
                first_mentions[mention[1].item.id] = mention
        kept = {id(mention) for mention in first_mentions.values()}
        return [mention for mention in found if id(mention) in kept], unmatched

    def _continued(self, message: _Message, spans: list[_Span], stretch: tuple[int, int, int, int],
                   pieces: list[tuple[int, int, int, int]]) -> dict[tuple[int, int, int, int], tuple[TitleMatch, float]]:
        """The pieces of a stretch no span covers that name a title together with the first words
        of the title listed before them, the way people leave out what titles share: "The Bourne
        Identity / Supremacy / Ultimatum", "Matrix Reloaded and Revolutions", "The Avengers +
        Endgame", "die hard 1 and 2", "Harry Potter and the Chamber of Secrets & the Half-Blood
        Prince". Only sure readings (a title up to typos, or part of one with the number typed)."""
        before = [s for s in spans if s.end <= stretch[0]]
        context: list[str] = []
        if (before and any(message.hard[k] for k in range(before[-1].end, stretch[2]))  # "life of pi are beautiful"
                and all(message.hard[k] or message.punct[k] for k in range(before[-1].end, stretch[0]))):
            last = before[-1]
            end = last.end - (last.end - 1 > last.start and message.year[last.end - 1])
            context = message.words(last.start, end)
        continued: dict[tuple[int, int, int, int], tuple[TitleMatch, float]] = {}
        for number, piece in enumerate(pieces):
            words = message.words(piece[2], piece[3])
            if all(w in _FILLERS or k in message.ordinary for k, w in zip(range(piece[2], piece[3]), words)
                   if not message.punct[k]):
                continue  # a name of the sentence: "Eragon better than Eldest"
            # the piece's first words alone when the sentence goes on: "die hard 1 and 2 are the best"
            cut = next((k for k in range(piece[2] + 1, piece[3]) if message.breaks[k] and not message.year[k]), None)
            heads = [words] if cut is None else [message.words(piece[2], cut), words]
            contexts = [context] if context else []
            if number > 0:  # the first words of this stretch ("harry potter and the ... & the half-blood prince")
                contexts.append(message.words(pieces[0][2], pieces[number - 1][3]))
            for leading, words in ((leading, words) for leading in contexts for words in heads):
                if len(words) > MAX_CONTINUED_WORDS:
                    continue
                found = self._continuing(message, leading[:MAX_CONTINUED_WORDS], words)
                if found is not None:
                    said = message.original(piece[2], piece[3])
                    continued[piece] = (self._as_match(found, said), found.value(len(words)))
                    context = leading + words
                    break
        return continued

    def _qualifies(self, message: _Message, spans: list[_Span], stretch: tuple[int, int, int, int]) -> bool:
        """Whether words no span covers name the series of the title typed right after them
        ("percy jackson lightning thief": The Lightning Thief (Percy Jackson and the Olympians, #1)),
        so they are no title of their own."""
        following = next((s for s in spans if s.start == stretch[1]), None)
        words = [w for w in message.words(stretch[2], stretch[3]) if w not in _FILLERS]
        return (following is not None and bool(words)
                and set(words) <= set(_words(self.catalog.by_id[following.found.item_id].title)))

    def _continuing(self, message: _Message, leading: list[str], words: list[str]) -> _Found | None:
        """The title the first words of ``leading`` and ``words`` make, the longest such first;
        or the first words of its end from the first word (no filler) a title begins with ("ive
        seen harry potter and the philosophers stone and chamber of secrets": "harry potter and
        the" + "chamber ...")."""
        opener = next((s for s in range(1, len(leading)) if leading[s] in self._openers and leading[s] not in _FILLERS), 0)
        for start in dict.fromkeys((0, opener)):
            for k in range(min(len(leading) - start, MAX_SPAN_WORDS - len(words)), 0, -1):
                if all(w in _FILLERS for w in leading[start:start + k]):
                    break
                found = self._match_span(message, leading[start:start + k] + words, None, True, True)
                if found is not None and (found.kind >= _TYPO or (
                        found.kind == _PART and _numbers(_key(words)) and _numbers(_key(words))
                        <= _numbers(self._titles[found.item_id]))):
                    return found
        return None

    def _series(self, message: _Message) -> list[tuple[int, TitleMatch, float]]:
        """The titles of a series named by their numbers: "toy story 1-3", "the first two
        godfather movies", "the first 3 Hunger Games books" (by the series noted in the titles,
        "(The Hunger Games, #2)", or sequel numbers, "The Godfather Part II")."""
        tokens, found = message.tokens, []
        for k in range(len(tokens) - 1):
            word, next_word = tokens[k].word, tokens[k + 1].word
            if word == "first" and _NUMBERS.get(next_word, next_word).isdigit():
                count, start, end = int(_NUMBERS.get(next_word, next_word)), k + 2, k + 2
                while end < len(tokens) and not message.breaks[end]:
                    end += 1
                first, numbers = (start, end), range(1, count + 1)
            elif (word.isdigit() and next_word.isdigit() and message.text[tokens[k].end:tokens[k + 1].start] in ("-", "–")
                  and k > 0 and not message.breaks[k - 1]):
                start = k
                while start > 0 and not message.breaks[start - 1]:
                    start -= 1
                start = next((s for s in range(start, k) if self._match_span(message, message.words(s, k), None, True, False)
                              or (self._series_key(message.words(s, k)), 1) in self._numbered), k)  # "my faves r toy story 1-3"
                first, numbers = (start, k), range(int(word), int(next_word) + 1)
            else:
                continue
            series = message.words(*first)
            if not series or len(numbers) > 9 or len(numbers) < 2:
                continue
            members = []
            for number in numbers:
                item_id = self._member(message, series, number)
                if item_id and item_id not in members:
                    members.append(item_id)
            if len(members) >= 2:  # a series, not "the first two hours of Heat"
                found += [(tokens[first[0]].start, TitleMatch(self.catalog.by_id[i], 100.0, True, message.original(*first),
                                                              True), float(len(series))) for i in members]
        return found

    def _member(self, message: _Message, series: list[str], number: int) -> str | None:
        """The item numbered ``number`` of the series the words name: by the series noted in
        titles ("(The Hunger Games, #2)") or by its sequel number ("Toy Story 2", "The Godfather
        Part II")."""
        item_id = self._numbered.get((self._series_key(series), number))
        if item_id:
            return item_id
        sequel = self._match_span(message, series + ([str(number)] if number > 1 else []), None, True, True)
        if sequel is not None and (sequel.kind >= _TYPO or (sequel.kind == _PART and number > 1 and str(number)
                                                            in _numbers(self._titles[sequel.item_id]))):
            return sequel.item_id
        return None

    def _sequels(self, message: _Message, spans: list[_Span]) -> tuple[list[_Span], list[tuple[int, TitleMatch, float]]]:
        """The sequels named after a title: "Toy Story and the second one", "Divergent and the
        sequel", "Ender's Game (1985) and its sequel" (an ordinal is the number in the series,
        "sequel" the one after the title). Of same-named items the one with that sequel is meant,
        and before it ("Twilight and the second one" is Stephenie Meyer's #1, not another
        series' Twilight); the spans with that item, and the sequels found."""
        spans, found = list(spans), []
        for k in range(len(message)):
            ordinal = _sequel_ordinal(message, k)
            last = max((n for n, span in enumerate(spans) if span.end <= k), default=None)
            if ordinal is None or last is None or not message.refers_back(spans[last].end, k):
                continue
            span = spans[last]
            readings = ((i, self._next_in_series(message, i, ordinal)) for i in (span.found.item_id, *span.found.ties))
            item_id, sequel = next(((i, sequel) for i, sequel in readings if sequel and sequel != i), (None, None))
            if item_id is None or sequel is None:
                continue
            if item_id != span.found.item_id:
                spans[last] = replace(span, found=replace(span.found, item_id=item_id, ties=()))
            found.append((message.tokens[k].start, TitleMatch(self.catalog.by_id[sequel], 100.0, True,
                                                              message.original(k, k + 1), True), 1.0))
        return spans, found

    def _ordinal_members(self, message: _Message, spans: list[_Span]) -> list[_Span]:
        """The spans, with a series' member named by "the", an ordinal and the series' name in place
        of what the name alone reads as ("the second hunger games book" is Catching Fire, not The
        Hunger Games): the name of two real words or more, or before a noun for the items, and no
        longer title going on from it ("the first harry potter and the goblet of fire")."""
        n = len(message)
        for k in range(1, n - 1):
            ordinal = 1 if message.tokens[k].word in ("first", "1st") else _ORDINALS.get(message.tokens[k].word)
            if ordinal is None or message.tokens[k - 1].word != "the" or message.breaks[k + 1]:
                continue
            end = k + 1
            while end < n and not message.breaks[end]:
                end += 1
            series = message.words(k + 1, end)
            if len(series) < 2 and not (end < n and message.tokens[end].word in _KIND_NOUNS):
                continue
            if any(span.start < end < span.end for span in spans):
                continue
            item_id = self._member(message, series, ordinal)
            if item_id is not None:
                spans = [span for span in spans if not (span.start >= k - 1 and span.end <= end)]
                spans.append(_Span(k + 1, end, _Found(item_id, 100.0, _EXACT), float(len(series))))
        return spans

    def _bare_parts(self, message: _Message, spans: list[_Span]) -> list[_Span]:
        """Parts named by a part word and a number alone after a title numbered so ("kill bill vol. 2
        was better than vol. 1", "the godfather part iii ... part 1 is the best"): the part of that
        number of the title before, the first being the title without a number where it has none."""
        covered = {k for span in spans for k in range(span.start, span.end)}
        found = []
        for k in range(len(message) - 1):
            if k in covered or message.tokens[k].word not in _BARE_PART_WORDS:
                continue
            n = k + 1 + (k + 2 < len(message) and message.tokens[k + 1].word == ".")
            number = _NUMBERS.get(message.tokens[n].word, message.tokens[n].word)
            before = [span for span in spans if span.end <= k]
            part = _PART_NUMBER.search(self._titles[before[-1].found.item_id]) if before and number.isdigit() else None
            if part is None or part.group(2) == number:
                continue
            ids = self._named(message, part.group(0)[:part.start(2)] + number, ())
            ids = ids or (self._firsts(self._named(message, part.group(1).strip(), ())) if number == "1" else [])
            if ids:
                found.append(_Span(k, n + 1, _Found(ids[0], 100.0, _EXACT), 1.0))
        return found

    def _next_in_series(self, message: _Message, item_id: str, ordinal: int) -> str | None:
        """The item an ordinal after ``item_id`` names: the one of that number in its series, or
        (0, "sequel") the one after it; None when the item itself is not before it."""
        note = _SERIES_NOTE.search(self.catalog.by_id[item_id].title)
        numbers = [int(n) for n in _numbers(self._titles[item_id]) if n.isdigit()]
        own = int(note.group(2)) if note else max(numbers, default=1)
        number = ordinal or own + 1
        if own >= number:
            return None
        if note:
            return self._numbered.get((normalize_title(note.group(1)), number))
        series = [w for w in self._typed[item_id].split() if w not in _NUMBERS and not w.isdigit()]  # "toy story"
        return self._member(message, series, number) or (self._subtitled_sequel(item_id) if number == own + 1 else None)

    def _subtitled_sequel(self, item_id: str) -> str | None:
        """The next item, by year, whose title is the main part of this one's with another subtitle:
        "Spider-Man: Into the Spider-Verse and its sequel" is Spider-Man: Across the Spider-Verse;
        "Top Gun and its sequel" Top Gun: Maverick."""
        item = self.catalog.by_id[item_id]
        main = _words(_main_part(item.title))
        if item.year is None or sum(w not in _FILLERS for w in main) < 1:
            return None
        return next((other.id for other in self._subtitled.get(tuple(main), ()) if other.year > item.year), None)

    def _series_key(self, words: list[str]) -> str:
        """The key of the series the words name, by its name or its acronym ("hp 1-3": Harry
        Potter, #1 to #3, when no other series has that acronym)."""
        key = _key(words)
        return key if len(words) != 1 or (key, 1) in self._numbered else self._series_acronyms.get(key, key)

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
        leftover "singer". A year right after a span, or after "from", picks among same-titled
        items and is read with it, unless it begins a title of its own ("Animal Farm, 1984")."""
        n = len(message)
        self._split_title_runs(message)
        first_word = next((k for k in range(n) if not message.punct[k]), n)
        last_word = max((k for k in range(n) if not message.punct[k]), default=-1)
        spans_from: list[list[_Span]] = [[] for _ in range(n + 1)]
        fuzzy_budget = MAX_FUZZY_SPANS
        for i in reversed(range(n)):  # the spans after a year are known when the year is read
            if message.punct[i] or (message.year[i] and message.bracketed(i)) or message.remarked(i):
                continue  # "Drive (2012)": a year in brackets is a title's, never a title
            as_name = message.typed_as_name(i) or message.a_pronoun_as_subject(i)
            # After a word no filler ("she adores Tangled", "been rewatching back to the future") a
            # span may begin only as a name typed after a lowercase word, or as a whole title.
            inside = not (i == 0 or message.breaks[i - 1] or message.year[i])
            # the middle of a capitalized run ("Quentin Tarantino"), unless after a possessive typed
            # without its apostrophe ("Tarantinos Jackie Brown": then a title of two real words)
            # (not after a heading: "Kubrick: Dr. Strangelove, ...")
            after_possessive = (inside and as_name and message.text[message.tokens[i - 1].start].isupper()
                                and ":" not in message.text[message.tokens[i - 1].end:message.tokens[i].start])
            if after_possessive and not message.possessive(i - 1):
                continue
            hard_start = i == 0 or message.hard[i - 1]
            for j in range(i + 1, n + 1):
                # a span ends before a break, or where a name typed capitalized ends ("World War Z back
                # to back"), or where a predicate begins after a whole item of a list ("gone girl wrecked me")
                open_end = j < n and not message.breaks[j]
                # (one word at the message's start is rather its subject, "life changed me", unless
                # with an article: "the road destroyed me")
                predicate = open_end and hard_start and message.predicate_at(j) and (
                    i > 0 or message.tokens[i].word in _ARTICLES or sum(w not in _FILLERS for w in message.words(i, j)) >= 2
                    or (j == i + 1 and message.tokens[i].word in self._acronyms))  # "tfios made me cry"
                if message.punct[j - 1] or message.tokens[j - 1].word == "etc" or (open_end and not predicate and not (
                        as_name and message.capitalized(j - 1) and not message.capitalized(j))):
                    continue
                words = message.words(i, j)
                if len(words) > self._max_words:
                    break
                fuzzy = (fuzzy_budget > 0 and (as_name or not inside)
                         and self._worth_comparing(words, hard_start, j == n or message.hard[j]))
                fuzzy_budget -= fuzzy
                whole = i == first_word and j - 1 == last_word
                partnered = self._heads_a_taste_list(message, i, j, spans_from)
                listed = message.listed(i, j) or partnered or message.commented(i, j)
                credited = not (as_name or whole or listed) and self._credited(message, j)
                named = as_name or whole or listed or credited
                dated_at = message.dated_at(j)
                year = int(message.tokens[dated_at].word) if dated_at is not None else None
                marks = _marks([t.word for t in message.tokens[i:j]])
                # a word alone may be an acronym: typed in capitals, or lowercase in a list or alone
                # (or lowercase opening the message before its predicate: "tfios made me cry")
                capitals = True if j == i + 1 and message.in_capitals(i) else False if j == i + 1 and (
                    whole or listed or (i == first_word and j < n and message.predicate_at(j))) else None
                # a capitalized word of one title alone in a list names it: "Kiki, Totoro and Mononoke"
                # (a number opening the message too, before "and" and a title: "2001 and solaris")
                distinct = j == i + 1 and listed and (message.capitalized(i) or (message.year[i] and (
                    i > 0 or self._a_title_follows(message, j, spans_from))))
                # and lowercase, a word of one title alone before another title of the list ("fellowship and
                # return of the king", "totoro and kikis delivery service")
                # (with an article the title has there: "i loved the fellowship, the two towers ...")
                one_word = j == i + 1 or (j == i + 2 and message.tokens[i].word in _ARTICLES)
                rare = (one_word and (listed or hard_start or j == i + 2) and not distinct
                        and self._a_title_follows(message, j, spans_from))
                found = self._match_span(message, words, year, named, fuzzy, marks=marks, capitals=capitals,
                                         listed=listed or whole, distinct=distinct, rare=rare)
                year_before = message.dated_before(i) if found is not None and dated_at is None else None
                if year_before is not None:
                    found = self._dated(found, self._match_span(
                        message, words, year_before, named, fuzzy, marks=marks, capitals=capitals,
                        listed=listed or whole, distinct=distinct, rare=rare))
                if found is None or (credited and not self._in_named_category(found.item_id, message)) or (
                        not (as_name or whole) and self._a_word_of_the_sentence(message, i, j, words, found.item_id, listed)):
                    continue
                if not whole and self._a_name_of_the_sentence(message, i, j, words, found, spans_from):
                    message.ordinary.update(range(i, j))  # nor a lookalike of a title later
                    continue
                if (not whole and (message.cuts_a_name(i, j) or message.continues_a_name(i) or (found.kind < _TYPO and (
                        message.ends_a_name(i) or self._goes_on(message, i, j, found.item_id, spans_from))))
                        or (open_end and found.kind < _TYPO)):
                    continue
                if after_possessive and sum(w not in _FILLERS for w in words) < 2:
                    continue
                if inside and not (found.kind >= _TYPO if as_name else found.kind == _EXACT and (
                        partnered or sum(w not in _FILLERS for w in words) > 1)
                        and _ARTICLE.sub("", " ".join(words)) == _ARTICLE.sub("", self._typed[found.item_id])):
                    continue
                if year is None:
                    spans_from[i].append(_Span(i, j, found, found.value(len(words))))
                    continue
                spans_from[i].append(_Span(i, dated_at + 1, found, found.value(len(words)) + (1.0 if found.year_ok else 0.0)))
                if spans_from[dated_at]:
                    alone = self._match_span(message, words, None, named, fuzzy, marks=marks, capitals=capitals,
                                             listed=listed or whole)
                    spans_from[i].append(_Span(i, j, alone, alone.value(len(words))))
        return spans_from

    def _split_title_runs(self, message: _Message) -> None:
        """Mark as breaks the words of runs typed with nothing between that are each a title of
        one long word, and no title together ("divergent insurgent allegiant"), so that each is
        read alone."""
        runs: list[list[int]] = [[]]
        for k in range(len(message)):
            if message.breaks[k]:
                runs.append([])
            else:
                runs[-1].append(k)
        for run in runs:
            if (len(run) > 1 and not self._named(message, _key(message.words(run[0], run[-1] + 1)), ())
                    and all(self._a_long_title(message, message.tokens[k].word) for k in run)):
                for k in run:
                    message.breaks[k] = True

    def _a_long_title(self, message: _Message, word: str) -> bool:
        """Whether one word, at least RARE_WORD_MIN_LENGTH letters long, is the name of an item."""
        return len(word) >= RARE_WORD_MIN_LENGTH and bool(self._named(message, _key([word]), ()))

    @staticmethod
    def _heads_a_taste_list(message: _Message, start: int, end: int, spans_from: list[list[_Span]]) -> bool:
        """Whether the words start..end-1 are the first of a list after a verb of taste whose next
        item is a title ("my kids love up and coco", "downloaded the martian and apollo 13"): a
        whole title, not of fillers alone; then they are a title even lowercase."""
        if (start == 0 or message.tokens[start - 1].word not in _TASTE_VERBS or end + 1 >= len(message)
                or message.tokens[end].word not in _LIST_MARKS):
            return False
        return any(span.found.kind >= _TYPO and not all(w in _FILLERS for w in message.words(span.start, span.end))
                   and (span.end == len(message) or message.breaks[span.end]) for span in spans_from[end + 1])

    def _goes_on(self, message: _Message, start: int, end: int, item_id: str,
                 spans_from: list[list[_Span]] | None = None) -> bool:
        """Whether part of a title goes on as a longer name the catalog lacks, so that it names
        none: after a small word between capitalized words ("An American in Paris"), or with the
        next words of that very title, then others ("harry potter and the philosophers stone");
        not when a title follows them (``spans_from``: "Kill Bill and The Matrix")."""
        if end >= len(message) or message.punct[end]:
            return False
        k = end + 1 + (end + 2 < len(message) and message.tokens[end + 1].word in _ARTICLES)
        if spans_from is not None and (spans_from[end + 1] or (k < len(message) and spans_from[k])):
            return False
        if message.tokens[end].word in _JOINS and message.capitalized(start) and message.capitalized(k):
            return True
        return k < len(message) and self._titles[item_id].startswith(_key(message.words(start, k)) + " ")

    def _a_word_of_the_sentence(self, message: _Message, start: int, end: int, words: list[str], item_id: str,
                                listed: bool = False) -> bool:
        """Words typed lowercase that are more likely words of the sentence than a title: one real
        word after a determiner or preposition ("my daughter", "set in paris", "what next", "in
        school", "about friendship"), two after "a" or "for" ("a date night", "for date night"),
        a title typed with an article it lacks ("a big fan", "with the kids", "a comedy" for The
        Comedy), one word before a noun for the catalog's items ("heist movies") or after "want
        to" ("want to drive"); up to two after a pronoun and "be" ("you're home alone", "they were
        perfect"; not "my faves are forest gump") or before "of" and a determiner ("get out of our
        heads"). In a list ("up and coco") only the article counts."""
        real_words = [w for w in words if w not in _FILLERS]
        if len(real_words) > 2:
            return False
        if words[0] in _ARTICLES and (self._typed[item_id].split() or [""])[0] != words[0] and not (
                f" {' '.join(words)} " in f" {self._typed[item_id]} " and (self._opens_an_item(message, start) or (
                    listed and start > 0 and message.tokens[start - 1].word in _TASTE_VERBS))):
            return True  # (an article the end of a title has is its own: "the prisoner of azkaban and ...")
        before = message.tokens[start - 1].word if start > 0 else ""
        if (len(words) == 1 and before in _SEPARATORS and start >= 3 and message.tokens[start - 3].word in _PREPOSITIONS
                and (start == 3 or message.breaks[start - 4])
                and not message.punct[start - 2] and not message.capitalized(start - 2)
                and not any(_key([message.tokens[start - 2].word]) in names for names in self._names)):
            return True  # the next word of a list of words after a preposition: "about space and aliens"
        if listed:
            return False
        degree = start > 0 and message.tokens[start - 1].word in _DEGREE and (
            message.tokens[start - 1].word in ("still", "t") or (start >= 2 and not message.punct[start - 2]))
        if (len(real_words) <= 1 and degree) or (len(words) == 1 and words[0] in _PRONOUNS):
            return True  # "so dark", "still waiting", "haven't started", "both of us"; not "so jaws and alien"
        if (words[0] in _PREPOSITIONS and sum(w not in _JOINS | _ARTICLES for w in words) <= 1 and start >= 1
                and not message.punct[start - 1] and (message.tokens[start - 1].word not in _TASTE_VERBS | _SEPARATORS
                                                      or (start >= 2 and message.tokens[start - 2].word == "to"))):
            return True  # where or how, after an infinitive or a word of the sentence: "to read on the road",
            # "a long night on the road", "grows up in the woods"; not "i read on the road"
        if (len(words) == 1 and words[0].endswith("ing") and end + 1 < len(message)
                and message.tokens[end].word in _OBJECT_DETERMINERS and not message.punct[end + 1]):
            return True  # a verb and its object: "i need help finding a book"
        after = message.tokens[end].word if end < len(message) else ""
        k = start - 1
        while k > 0 and message.tokens[k].word in _INTENSIFIERS:  # "a big heist", "my very own"
            k -= 1
        before = message.tokens[k].word if k >= 0 else ""
        own_article = len(words) >= 3 and words[0] in _ARTICLES and " ".join(words) == self._typed[item_id]
        if (before in _DETERMINERS and not own_article  # ("grew up on the jungle book")
                and (len(real_words) <= 1 or before in ("a", "an", "for", "about", "with", "in"))
                or (before in _COPULAS and k > 0 and message.tokens[k - 1].word in _SUBJECTS)
                or (before in _COPULAS_SPELLED and len(real_words) == 1 and self._said_of_a_name(message, k))
                or self._goes_on_with_of(message, end)):
            return True
        if len(words) == 2 and words[0] in _TIME_DEICTICS and words[1] in _TIME_NOUNS and not message.typed_as_name(start):
            return True  # when: "read it last summer" names no The Last Summer
        if before in _MODALS and len(real_words) <= 2 and not message.capitalized(start):
            return True  # a verb after a modal: "a book that will make me cry"
        infinitive = before == "to" and start > 1 and message.tokens[start - 2].word in _WANTING
        # (a title with its own article before the noun and then a list mark is named: "the matrix movie and ...")
        kind_of = after in _KIND_NOUNS and not (
            words[0] in _ARTICLES and self._typed[item_id].split()[:1] == words[:1]
            and (end + 1 == len(message) or message.tokens[end + 1].word in _LIST_MARKS))
        return len(real_words) <= 1 and (kind_of or infinitive)

    def _a_name_of_the_sentence(self, message: _Message, start: int, end: int, words: list[str], found: _Found,
                                spans_from: list[list[_Span]]) -> bool:
        """Names in a chatty message that are no titles, even typed capitalized: a person's name
        after a possessive and a noun for someone ("my friend Logan", "my son Max"); a place or a
        day after a preposition ("from Chicago", "to Rome", "on Saturday", "on Halloween night"),
        unless a list of titles goes on after it ("grew up on Jaws and Alien") or a name comes
        before "in" ("Al Pacino in Heat"); a name in the
        possessive before a title ("King's The Shining", "Percy Jackson's The Lightning Thief"); a
        word before "than" ("Eragon better than Eldest"); part of titles before a noun that makes
        it a kind of thing ("an Indiana Jones kind of adventure", "the Percy Jackson series", "a
        Lord of the Rings fan"); and an object pronoun opening a sentence before "and" and no title
        ("Me and Priya")."""
        n = len(message)
        tokens = message.tokens
        real = [w for w in words if w not in _FILLERS]
        one_name = len(real) == 1 and end - start <= 2 and message.capitalized(end - 1)
        if one_name and start >= 2 and tokens[start - 2].word in _POSSESSIVE_DETERMINERS and not message.punct[start - 1] \
                and not message.capitalized(start - 1) and tokens[start - 1].word not in _FILLERS | _TASTE_VERBS:
            return True  # "my friend Logan", "my husband Mark"
        if one_name and self._a_place_or_day(message, start, end):
            return True
        if (end + 1 < n and tokens[end].word == "s" and message.text[tokens[end - 1].end:tokens[end].start] in ("'", "’")
                and (message.capitalized(end + 1) or spans_from[end + 1])):
            return True  # a possessive before a title: "Kubrick's The Shining"
        if len(words) == 1 and not message.capitalized(start) and end < n and tokens[end].word == "than":
            return True  # a comparative: "better than"
        if self._a_kind_named(message, start, end, words, found.item_id):
            return True  # a franchise as a kind: "an Indiana Jones kind of adventure"
        return (len(words) == 1 and words[0] in _PRONOUNS and (start == 0 or tokens[start - 1].word in _SENTENCE_ENDS)
                and end + 1 < n and tokens[end].word == "and" and not spans_from[end + 1])

    @staticmethod
    def _a_place_or_day(message: _Message, start: int, end: int) -> bool:
        """Whether one name is a place or a day after a preposition ("from Chicago swears by", "to
        Rome in June", "On Saturday"): the preposition is a word of the sentence (or opens it), "to"
        follows one of no filler (not "similar to Gravity"), "in" follows no name (an actor's film:
        "Pacino in Heat"), and no list of titles goes on after it ("grew up on Jaws and Alien")."""
        tokens = message.tokens
        if start < 1 or (before := tokens[start - 1].word) not in _PLACE_PREPOSITIONS:
            return False
        opens = start == 1 or tokens[start - 2].word in _SENTENCE_ENDS
        if message.capitalized(start - 1) and not opens:
            return False
        if before == "to" and (start < 2 or message.punct[start - 2] or tokens[start - 2].word in _FILLERS):
            return False
        if before == "in" and start >= 2 and message.typed_as_name(start - 2):
            return False
        after = tokens[end].word if end < len(message) else ""
        return not (after in _SEPARATORS or (after in _LIST_MARKS and message.capitalized(end + 1))
                    or (end < len(message) and message.year[end]))

    def _a_kind_named(self, message: _Message, start: int, end: int, words: list[str], item_id: str) -> bool:
        """Whether the words, part of a title and not all of it, name a kind of thing with the noun
        after them or ending them, maybe across "and" to another name ("a Harry Potter and Lord of
        the Rings fan", "the Percy Jackson series", "a Sherlock Holmes story")."""
        n = len(message)
        tokens = message.tokens

        def a_kind(k: int) -> bool:
            return k < n and tokens[k].word in _KIND_OF and not message.capitalized(k)

        def the_title(said: list[str]) -> bool:  # (typed without its apostrophes: "its kind of a funny story")
            return _bare(" ".join(said)) == _bare(self._typed[item_id])

        if the_title(words):
            return False  # the whole title, even one ending on such a noun ("The Jungle Book")
        if len(words) > 1 and a_kind(end - 1):
            return not the_title(words[:-1])  # "Lord of the Rings fan"
        if a_kind(end):
            return True
        if end + 1 < n and tokens[end].word in _SEPARATORS and message.capitalized(end + 1):
            k = end + 1
            while k < n and (message.capitalized(k) or tokens[k].word in _JOINS | _ARTICLES):
                k += 1
            return a_kind(k)
        return False

    @staticmethod
    def _said_of_a_name(message: _Message, copula: int) -> bool:
        """Whether the copula at ``copula`` follows a word of no filler, as a title ends ("neverwhere
        was better"): the one word after it is then said of that name, a predicate ("Better" is a
        book), while "my favourite is up" names Up."""
        return copula > 0 and not message.punct[copula - 1] and message.tokens[copula - 1].word not in _FILLERS

    @staticmethod
    def _opens_an_item(message: _Message, start: int) -> bool:
        """Whether token ``start`` opens the message or an item of a list that does not go on from a
        capitalized word before it ("Charlie and the Chocolate Factory" names no "... and the
        Chocolate Factory")."""
        return start == 0 or (message.hard[start - 1] and not message.capitalized(start - 2))

    @staticmethod
    def _goes_on_with_of(message: _Message, end: int) -> bool:
        """Whether "of" and a determiner follow ``end``: the words before are the head of a phrase
        ("get out of our heads", "heat of the moment"), not a title."""
        return (end + 1 < len(message) and message.tokens[end].word == "of"
                and message.tokens[end + 1].word in _DETERMINERS)

    @staticmethod
    def _worth_comparing(words: list[str], hard_start: bool, hard_end: bool = False) -> bool:
        """Fuzzy comparison only for spans that end on a real word and start on one (or right
        after a separator): "loved the matix" is "the matix" with a filler in front. Between
        separators a title may end on a filler when it has two real words ("and oh the places
        youll go")."""
        key = _key(words).split()
        ends = key and (key[-1] not in _FILLERS or (hard_start and hard_end and sum(w not in _FILLERS for w in key) >= 2))
        return bool(ends) and (hard_start or key[0] not in _FILLERS)

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
        ordinary = all(message.tokens[k].word in _FILLERS or k in message.ordinary
                       for k in range(first, last) if not message.hard[k])  # "short and beautiful"
        if message.remarked(first) or message.continues_a_name(first) or ordinary:
            return None
        said = message.original(first, last)
        year = int(message.tokens[last].word) if last < end and message.year[last] else None
        words = message.words(first, last)
        marks = _marks([t.word for t in message.tokens[first:last]])
        found = self._match_span(message, words, year, True, True, lookalike=True, marks=marks,
                                 listed=message.listed(first, last))
        if found is not None and ((not message.typed_as_name(first)
                                   and self._a_word_of_the_sentence(message, first, last, words, found.item_id))
                                  or (found.kind == _PART and self._goes_on(message, first, last, found.item_id))):
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
        lookalike: bool = False, marks: tuple[str, ...] = (), capitals: bool | None = None, listed: bool = False,
        distinct: bool = False, rare: bool = False,
    ) -> _Found | None:
        """How the span's words name an item: exactly, with typos, as part of a title, or (when
        asked) as a lookalike. A title of filler words alone ("It") counts only typed as a name;
        the end of a title alone ("Holy Grail") and a short title with one letter wrong
        ("Casnio") only ``listed`` (or alone: "Life of Brian and Holy Grail", not "I live in New
        York"); a span crossing a separator only names a title with
        that separator (``marks``); the name of a category ("stephen king", an author) is no
        part of a title."""
        key = _key(words)
        if not key:
            return None
        all_fillers = all(w in _FILLERS for w in key.split())
        ids = self._named(message, key, marks) if listed or key not in self._tails else []
        if key.isdigit():  # a number alone names a title written so ("1917"), not one spelled out
            ids = [i for i in ids if self._a_number_of(i, key, words, as_name)]  # ("Eight")
        if ids and self._collects(message, ids, words):
            return None
        if not ids and distinct and len(words) == 1 and words[0].isdigit():
            ids = self._number_names.get(key, [])  # "Dr. Strangelove, 2001 and Barry Lyndon"
        if not ids and key.endswith(" 1") and not key[:-2].isdigit():  # "rocky 1", "die hard 1": the first
            ids = self._firsts(self._named(message, key[:-2], marks))
        if not ids and key[-1:].isdigit():  # "twilight 2": New Moon (Twilight, #2)
            ids = self._numbered_in_series(key)
        if not ids and len(words) >= 2 and words[0] in self._series_acronyms:  # "lotr fellowship"
            return self._in_series_named(words, year)
        if not ids and capitals is not None and len(words) == 1:  # "LOTR", "acotar" (a word alone: ``capitals``
            ids = self._by_acronym(words[0], capitals)  # tells whether it was typed so)
        # a title of fillers counts typed as a name or with its year ("the thing 1982"); the name of
        # a category typed lowercase is that category ("war movies")
        dated = year is not None and any(self.catalog.by_id[i].year == year for i in ids)
        if ids and (as_name or dated or not (all_fillers or self._a_category(key))):
            item_id, year_ok = self._pick(ids, year, " ".join(words), message)
            others = [i for names in (*self._names, self._shadowed) for i in names.get(key, ())
                      if i not in ids and self._of_year(i, year)
                      and _within(marks, self._marks[i])]  # "blink": the title, or Blink: The Power of ...
            return _Found(item_id, 100.0, self._exactness(ids, key, year), year_ok,
                          self._ties(ids, item_id, year, " ".join(words), message) + tuple(dict.fromkeys(others)))
        if all_fillers or not fuzzy or self._a_category(key) or key.isdigit():
            return None
        best: tuple[tuple, _Found] | None = None
        for position in self._candidates(message, key):
            item_id, title = self._keys[position]
            if not _within(marks, self._marks[item_id]):
                continue
            # run together or apart, a title is the same: "brave heart" is Braveheart, not Brave Hearts
            ratio = 100.0 if key.replace(" ", "") == title.replace(" ", "") else fuzz.ratio(key, title)
            if ((ratio >= SURE_SCORE or (listed and _one_slip(key, title)) or _small_words_left_out(key, title)
                 or (ratio >= LOOKALIKE_MIN_SCORE and _spelled_alike(key, title)))
                    and _numbers(key) == _numbers(title)
                    and self._a_typo(key, title, words, self._typed[item_id])):
                kind, rank = _TYPO, ratio
            elif len(key) < len(title) and (self._is_part(key, title) or distinct and self._a_distinct_word(key, title)
                                            or rare and self._a_rare_word(key, title)) and _number_in_place(key, title):
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

    def _in_series_named(self, words: list[str], year: int | None) -> _Found | None:
        """The member of a series its acronym and then words of the member's title name ("lotr
        fellowship", "LOTR return of the king", "hp goblet of fire"): the one member (numbered in
        notes or by release) whose title has each real word, up to typos."""
        real = [w for w in words[1:] if w not in _FILLERS]
        members = self._series_members.get(self._series_acronyms[words[0]], [])
        hits = [i for i in members if real and all(any(fuzz.ratio(w, t) >= TYPO_MIN_SCORE for t in self._titles[i].split())
                                                   for w in real)]
        return _Found(hits[0], 100.0, _PART, self._of_year(hits[0], year)) if len(hits) == 1 else None

    def _numbered_in_series(self, key: str) -> list[str]:
        """The item a series' name and a number name, by the series noted in titles: "twilight 2"
        is New Moon (Twilight, #2), as "toy story 2" is Toy Story 2."""
        head, _, number = key.rpartition(" ")
        head = self._series_key([head]) if head and " " not in head else head  # "hp 4": Harry Potter, #4
        item_id = self._numbered.get((head, int(number))) if head and number.isdigit() else None
        return [item_id] if item_id else []

    def _collects(self, message: _Message, ids: list[str], words: list[str]) -> bool:
        """Whether the items are collections ("Eragon & Eldest (Inheritance, #1-2)") of titles the
        words name one by one ("eragon and eldest"): then they mean those titles, not the box set."""
        pieces = _split_at(words, _SEPARATORS)
        return (len(pieces) > 1 and all(_COLLECTION_NOTE.search(self.catalog.by_id[i].title) for i in ids)
                and all(set(self._named(message, _key(piece), ())) - set(ids) for piece in pieces))

    def _firsts(self, ids: list[str]) -> list[str]:
        """The first of the items a name has: those numbered 1 ("kill bill 1" is Kill Bill: Vol. 1,
        not the more recent Vol. 2), else those without a number ("rocky 1" is Rocky)."""
        return ([i for i in ids if "1" in _numbers(self._titles[i])]
                or [i for i in ids if not _numbers(self._titles[i])] or ids)

    def _a_category(self, key: str) -> bool:
        """Whether the words name a category, or are its possessive ("Stephen King's It": the
        author, not part of "Stephen King's N.")."""
        return key in self._categories or (key.endswith(" s") and key[:-2] in self._categories)

    def _a_number_of(self, item_id: str, key: str, words: list[str], as_name: bool) -> bool:
        """Whether a number typed alone names the item: written as the title writes it ("1917",
        "Se7en"), or as its words ("Seven" for Se7en, "Eight") when typed as a name or in a list,
        so that "my daughter is 8" or "seven of us" names no title."""
        typed = self._typed[item_id].split()
        if key in typed and key in words:
            return True
        said = [_spelled(w) for w in words if w not in _ARTICLES]
        return ((as_name or any(_leet_number(w) for w in words)) and not any(w.isdigit() for w in words)
                and said == [_spelled(w) for w in typed if w not in _ARTICLES])

    def _of_names(self, key: str) -> bool:
        """Whether each piece of a name between its separators is a name ("animal farm and 1984")."""
        pieces = [" ".join(piece) for piece in _split_at(key.split(), _SEPARATORS)]
        return len(pieces) > 1 and all(any(piece in names for names in self._names) for piece in pieces)

    def _named(self, message: _Message, key: str, marks: tuple[str, ...]) -> list[str]:
        """The items whose title, or else shorter name, is ``key`` (and has the span's separators);
        a shorter name of an item whose category the message names ("wicked by gregory maguire")
        counts as much as a title. The separators may be the name's own ("The Hobbit or There and
        Back Again", an original title: its "or" and "and" are no list's), unless it joins names
        ("Animal Farm & 1984", a box set's)."""
        own: tuple[str, ...] | None = None  # the name's own separators, read only when needed
        tiers: list[list[str]] = []
        for names in self._names:
            tiers.append([])
            for i in names.get(key, ()):
                if not _within(marks, self._marks[i]):
                    own = (_marks(key.split()) if not self._of_names(key) else ()) if own is None else own
                    if not _within(marks, own):
                        continue
                tiers[-1].append(i)
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

    def _a_typo(self, key: str, title: str, words: list[str], typed_title: str) -> bool:
        """Whether a phrase close to a title is that title typed wrong, not other words: each real
        word is the title's or close to one of its words ("forest gump", "the sixth sence"), or
        the words are the title's run apart ("brave heart"); never other words ("set in space" for
        Lost in Space, "want to drive" for I Want to Live!). One word alone is no typo when it is
        a word of the catalog ("bond" for Bound) or an inflection, either way ("artists", "creepy",
        "incredible" of The Incredibles: an adjective of the sentence, "both incredible"), nor when
        it is short and typed without another word of the title ("Circe" is no "The Circle",
        "the matix" is The Matrix); no word typed is one the title lacks ("Stephen King's It" is
        no "Stephen King's N.")."""
        real = [w for w in key.split() if w not in _FILLERS]
        title_words = set(title.split())
        if not real:
            return False
        if key.replace(" ", "") == title.replace(" ", ""):
            return True
        accompanied = any(w != real[0] and w in typed_title.split() for w in words)
        if len(real) == 1 and real[0] not in title_words and (
                (len(real[0]) < TYPO_WORD_MIN_LENGTH and not accompanied) or real[0] in self._postings
                or any(_inflected(real[0], t) or _inflected(t, real[0]) for t in title_words)):
            return False
        said = [w for w in key.split() if w not in _ARTICLES]  # fillers too: "Stephen King's It" is no "... N."
        return all(w in title_words or any(fuzz.ratio(w, t) >= TYPO_MIN_SCORE or _spelled_alike(w, t) or _swapped(w, t)
                                           for t in title_words)
                   for w in said)

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
            return (len(words[0]) >= RARE_WORD_MIN_LENGTH  # ("Everything Everywhere": one real word)
                    and len({self._keys[p][0] for p in self._postings.get(words[0], ())}) == 1)
        return all(any(fuzz.ratio(w, t) >= TYPO_MIN_SCORE for t in title.split()) for w in words)

    def _a_distinct_word(self, key: str, title: str) -> bool:
        """Whether one word, RARE_WORD_MIN_LENGTH letters or more, is the last word of this short
        title (three words at most) and of no other item's nor a category's ("Tolkien"): a name of
        it typed as one in a list ("Totoro" of My Neighbor Totoro, "Mononoke"), where the last of
        a long title is a word of the sentence ("Prisoners" is no Free Angela and All Political Prisoners)."""
        words = title.split()
        return len(words) <= 3 and words[-1] == key and self._a_rare_word(key, title)

    def _a_rare_word(self, key: str, title: str) -> bool:
        """Whether one word, RARE_WORD_MIN_LENGTH letters or more, is a word of this title and of no
        other item's, nor a category's: a name of it typed in a list before another title, however
        long the title ("fellowship" of The Lord of the Rings: The Fellowship of the Ring)."""
        return (" " not in key and len(key) >= RARE_WORD_MIN_LENGTH and key in title.split()
                and key not in _FILLERS and key not in self._category_words
                and len({self._keys[p][0] for p in self._postings.get(key, ())}) == 1)

    @staticmethod
    def _dated(found: _Found, dated: _Found | None) -> _Found:
        """The item a year before the title picks, when it is one of that year; else the one found
        without it (a number before a title need not be its year)."""
        return dated if dated is not None and dated.year_ok else found

    def _a_title_follows(self, message: _Message, end: int, spans_from: list[list[_Span]]) -> bool:
        """Whether a list mark follows ``end`` and then a whole title (up to typos) of two real words
        or more, or of one word no other title has ("lebowski and fargo"), no words of a sentence
        ("wizards and the sea" names nothing)."""
        if end + 1 >= len(message) or message.tokens[end].word not in _LIST_MARKS:
            return False
        return any(span.found.kind >= _TYPO and (sum(w not in _FILLERS for w in words) >= 2 or self._a_lone_name(words))
                   for span in spans_from[end + 1] for words in [message.words(span.start, span.end)])

    def _a_lone_name(self, words: list[str]) -> bool:
        """Whether words are one word typed without an article that is no filler, no category's and
        of one title alone: a name, not a word of the sentence ("fargo"; not "the sea")."""
        return (len(words) == 1 and words[0] not in _FILLERS and words[0] not in self._category_words
                and len({self._keys[p][0] for p in self._postings.get(words[0], ())}) == 1)

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
        """Among same-titled items: the one of the year typed (or the year next to it), else the
        one of a category the message names ("dracula by bram stoker"), else the one whose article
        was typed too ("heat": Heat, not The Heat), else, of parts all numbered, the first ("kill bill":
        Vol. 1), else the one the most people rated where the catalog says (POPULARITY_ATTRIBUTES:
        "wicked" is Maguire's), else the most recent."""
        first = self._first_part(ids)
        best = max(ids, key=lambda i: (year is not None and self._year_fit(i, year), self._in_named_category(i, message),
                                       self._typed[i] == typed, first == i, self._popularity[i],
                                       self.catalog.by_id[i].year or 0))
        return best, self._of_year(best, year)

    def _first_part(self, ids: list[str]) -> str | None:
        """Of items whose titles, without their notes, have each a number of its own ("Kill Bill:
        Vol. 1", "Vol. 2"), the one numbered 1; None for others ("Twilight (Twilight, #1)" and
        "Twilight (Warriors: The New Prophecy, #5)" are two series' books, not parts of one)."""
        if len(ids) < 2:
            return None
        numbers = [_numbers(self._typed[i]) for i in ids]
        shared = set.intersection(*numbers)
        own = [n - shared for n in numbers]
        firsts = [i for i, n in zip(ids, own) if n == {"1"}]
        return firsts[0] if len(firsts) == 1 and all(own) else None

    def _ties(self, ids: list[str], best: str, year: int | None, typed: str, message: _Message) -> tuple[str, ...]:
        """The items of ``ids`` that _pick put after ``best`` only for being older."""
        def rank(i: str) -> tuple:
            return year is not None and self._year_fit(i, year), self._in_named_category(i, message), self._typed[i] == typed
        return tuple(i for i in ids if i != best and rank(i) == rank(best))

    def _without_ordinary_pairs(self, message: _Message, spans: list[_Span]) -> list[_Span]:
        """The spans but those of one word typed lowercase joined by "and" or "or" to one ordinary
        word that no span covers, a word of the catalog's titles (a title too, when the sentence took
        it as its word: "about the sea"): "short and beautiful", "life and death", "loves magic and
        animals", "the sea and sailing" name nothing,
        while "frozen and zootopia" (a title) and "frozen and moana" (no word of the catalog) do; nor
        the last name of an author of the other titles ("..., king at his best")."""
        covered = {k for span in spans for k in range(span.start, span.end)}
        kept = []
        for span in spans:
            partner = self._ordinary_partner(message, span, covered)
            if len(spans) == 1 and self._a_lone_chat_word(message, span):
                message.ordinary.update(range(span.start, span.end))
            elif partner is not None:
                message.ordinary.update((*range(span.start, span.end), partner))
            elif (self._an_author_named(message, span, spans) or self._a_year_of(message, span, kept)
                  or self._a_kind_of_others(message, span, spans) or self._a_loose_comment(message, span, spans)):
                message.ordinary.update(range(span.start, span.end))
            else:
                kept.append(span)
        return kept

    @staticmethod
    def _a_lone_chat_word(message: _Message, span: _Span) -> bool:
        """Whether a title of chat words alone, typed lowercase, is the only title of a message it is
        not the whole of: then a comma before it ends a clause, not a list ("i'm in a reading slump,
        help"), while "finding nemo, up and coco" lists it."""
        words = range(span.start, span.end)
        if span.start == 0 or message.tokens[span.start - 1].word not in (",", *_SENTENCE_ENDS):
            return False  # ("toy story 1-3 + up")
        return (not all(message.punct[k] or message.year[k] for k in [*range(span.start), *range(span.end, len(message))])
                and all(message.tokens[k].word in _FILLERS for k in words)
                and not any(message.capitalized(k) for k in words))

    def _ordinary_partner(self, message: _Message, span: _Span, covered: set[int]) -> int | None:
        """The ordinary word a span of one lowercase word is joined to, or None."""
        n = len(message)
        real = [k for k in range(span.start, span.end) if not message.punct[k] and message.tokens[k].word not in _FILLERS]
        if len(real) != 1 or any(message.capitalized(k) for k in range(span.start, span.end)) or message.year[real[0]]:
            return None
        partner = None
        if span.end + 1 < n and message.tokens[span.end].word in ("and", "or"):
            k = span.end + 1 + (span.end + 2 < n and message.tokens[span.end + 1].word in _ARTICLES)
            if k < n and (k + 1 == n or message.breaks[k + 1]):
                partner = k
        elif span.start >= 2 and message.tokens[span.start - 1].word in ("and", "or"):
            k = span.start - 2
            # (not the end of a longer name: "lessons in chemistry and the goldfinch")
            if (k == 0 or message.breaks[k - 1]) and not (
                    k >= 2 and message.tokens[k - 1].word in _JOINS and not message.breaks[k - 2]):
                partner = k
        if partner is None or partner >= n or partner in covered or message.punct[partner] or message.year[partner]:
            return None
        word = message.tokens[partner].word
        if message.capitalized(partner) or word in _FILLERS or word not in self._postings or self._a_category(word):
            return None
        if partner > span.start and self._continuing(message, message.words(span.start, span.end), [word]):
            return None  # what titles share left out: "the avengers and endgame"
        return partner

    def _a_year_of(self, message: _Message, span: _Span, before: list[_Span]) -> bool:
        """Whether a number read as a title by its main part ("2001") is rather the year of the title
        before it ("Amelie, 2001 and ...")."""
        word = message.tokens[span.start].word
        if span.end != span.start + 1 or span.found.item_id not in self._number_names.get(word, ()) or not before:
            return False
        year = self.catalog.by_id[before[-1].found.item_id].year
        return year is not None and abs(year - int(word)) <= YEAR_TOLERANCE

    def _an_author_named(self, message: _Message, span: _Span, spans: list[_Span]) -> bool:
        """Whether a span of one word typed lowercase is the last name of a category (an author) of
        another title of the message that its own item lacks: "the green mile and the gunslinger,
        king at his best" speaks of Stephen King, not of the book King; typed capitalized too
        before a word of the sentence ("Hamlet, Macbeth - Shakespeare marathon in May")."""
        words = message.words(span.start, span.end)
        end = span.end
        # typed capitalized, it is the author's name before a word of the sentence ("- Shakespeare marathon")
        if len(words) != 1 or (message.capitalized(span.start) and not (
                end < len(message) and not message.punct[end] and message.tokens[end].word not in _LIST_MARKS
                and not message.capitalized(end))):
            return False
        own = set(self.catalog.by_id[span.found.item_id].categories)
        return any(normalize_title(category).split()[-1:] == words and category not in own
                   for other in spans if other is not span
                   for category in self.catalog.by_id[other.found.item_id].categories)

    def _a_loose_comment(self, message: _Message, span: _Span, spans: list[_Span]) -> bool:
        """Whether a span ending the message after a comma, typed lowercase and only like a title
        (with a typo, or part of it), is a comment on the titles before, which share a category (an
        author) its item lacks: "the selection and the elite, guilty pleasure" names no Guilty
        Pleasures, "..., don't judge" no Don't Judge a Girl by Her Cover."""
        if (span.found.kind >= _EXACT or span.start == 0 or message.tokens[span.start - 1].word != ","
                or any(not message.punct[k] for k in range(span.end, len(message)))
                or any(message.capitalized(k) for k in range(span.start, span.end))):
            return False
        others = [set(self.catalog.by_id[other.found.item_id].categories) for other in spans if other.end <= span.start]
        shared = set.intersection(*others) if len(others) >= 2 else set()
        return bool(shared) and not shared & set(self.catalog.by_id[span.found.item_id].categories)

    def _a_kind_of_others(self, message: _Message, span: _Span, spans: list[_Span]) -> bool:
        """Whether a span right before a plural noun for the items is the series noted in another
        title of the message or the last name of its author: it says what kind of items ("my
        favourite King books", "the best dark tower books"), naming none."""
        if span.end >= len(message) or message.tokens[span.end].word not in _KIND_PLURALS:
            return False
        key = _ARTICLE.sub("", _key(message.words(span.start, span.end)))
        for other in spans:
            item = self.catalog.by_id[other.found.item_id]
            if other is span or item.id == span.found.item_id:
                continue
            note = _SERIES_NOTE.search(item.title)
            if note and _ARTICLE.sub("", normalize_title(note.group(1))) == key:
                return True
            if any(normalize_title(category).split()[-1:] == [key] for category in item.categories):
                return True
        return False

    def _coherent(self, spans: list[_Span]) -> list[_Span]:
        """Among the items of a name the one that shares a category (an author) with the other
        titles of the message, when nothing but recency or the whole title picked another:
        "Twilight, New Moon, Eclipse" is Stephenie Meyer's Twilight; "outliers, blink and the
        tipping point" Malcolm Gladwell's Blink: The Power of Thinking Without Thinking."""
        if not any(s.found.ties for s in spans):
            return spans
        coherent = []
        for span in spans:
            others = set().union(*(self.catalog.by_id[o.found.item_id].categories for o in spans if o is not span))
            candidates = (span.found.item_id, *span.found.ties)
            shared = [len(others.intersection(self.catalog.by_id[i].categories)) for i in candidates]
            if span.found.ties and shared[0] == 0 and max(shared) > 0:
                item_id = candidates[shared.index(max(shared))]
                span = _Span(span.start, span.end, replace(span.found, item_id=item_id, ties=()), span.value)
            coherent.append(span)
        return coherent

    def _credited(self, message: _Message, end: int) -> bool:
        """Whether the words before ``end`` are followed by "by" and a category the message names:
        "Night by Elie Wiesel" is a title however typed, when it is that author's."""
        return end < len(message) and message.tokens[end].word == "by" and bool(self._message_categories(message))

    def _message_categories(self, message: _Message) -> set[str]:
        """The categories the message names (authors, in a books catalog), found once."""
        if message.categories is None:
            message.categories = set(self.catalog.find_categories(message.text))
        return message.categories

    def _in_named_category(self, item_id: str, message: _Message) -> bool:
        return bool(self._message_categories(message).intersection(self.catalog.by_id[item_id].categories))

    def _of_year(self, item_id: str, year: int | None) -> bool:
        """Whether the year typed with a title fits the item (an item without a year fits any): the
        year or one next to it, as sources date a film by its festival or its release."""
        return self._year_fit(item_id, year) > 0

    def _year_fit(self, item_id: str, year: int | None) -> int:
        """2 for the item's year (or no year to compare), 1 for a year next to it, else 0."""
        item_year = self.catalog.by_id[item_id].year
        if year is None or item_year is None or item_year == year:
            return 2
        return 1 if abs(item_year - year) <= YEAR_TOLERANCE else 0

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
