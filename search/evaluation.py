"""The judged set for search quality, and the measures read on it.

The set lives beside the tests, in ``tests/search/judged/``: ``images.json`` (each image's source,
SHA-256, what it shows, its subjects and dominant colours, judged by looking at it, never by what the
models say) and
``queries.json`` (each query's kind and its graded relevant images: 2 = what was asked for, 1 =
partly or in the background). The images themselves are not in the repository: they come from the
shared camera samples, scikit-image's photos and Debian's wallpaper packages (which
``scripts/bootstrap.sh --test`` installs); ``locate`` finds each one and checks its checksum.

Query kinds: ``classname`` (an ImageNet class's name as a person types it), ``concept`` (a broader
concept, as the issue's dog/vehicle/fruit), ``multi`` (several concepts), ``colour`` (a colour and a
subject), ``related`` (words with no concept or text of their own), ``text`` (words in the image or
its metadata, typos).
"""
import json
import math
import os
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
JUDGED_DIR = REPO / "tests" / "search" / "judged"
SHARED = Path(os.environ.get("LUMEN_SHARED_DIR", REPO.parent / "shared"))
SAMPLES = SHARED / "data" / "exif-samples"
DEBIAN_PACKAGES = ("gnome-backgrounds", "plasma-workspace-wallpapers", "mate-backgrounds", "ukui-wallpapers")
KINDS = ("classname", "concept", "multi", "colour", "related", "text")


class ImageMissing(LookupError):
    """A judged image is not on this machine (or not the judged bytes); the reason says how to get it."""


@dataclass(frozen=True)
class JudgedImage:
    key: str
    source: str   # "exif-samples:<path>", "skimage:<file>" or "debian:<package>:<absolute path>"
    sha256: str
    shows: str    # what it shows, in a sentence
    subjects: tuple = ()  # the words a person would search it by
    colours: tuple = ()   # its dominant colours, by the palette's names


@dataclass(frozen=True)
class JudgedQuery:
    query: str
    kind: str
    relevant: dict = field(default_factory=dict)  # image key -> grade
    note: str = ""

    @property
    def found(self):
        """Images a person would accept (grade ≥ 1)."""
        return {key for key, grade in self.relevant.items() if grade > 0}

    @property
    def asked(self):
        """What was asked for (grade 2)."""
        return {key for key, grade in self.relevant.items() if grade >= 2}


def judged_images():
    return [JudgedImage(**{**row, "subjects": tuple(row["subjects"]), "colours": tuple(row["colours"])})
            for row in json.loads((JUDGED_DIR / "images.json").read_text())]


def judged_queries():
    return [JudgedQuery(**row) for row in json.loads((JUDGED_DIR / "queries.json").read_text())]


def locate(image, samples_dir=SAMPLES):
    """The file of ``image``, checked against its recorded checksum; raises ImageMissing otherwise."""
    import hashlib

    kind, _, rest = image.source.partition(":")
    if kind == "exif-samples":
        path = Path(samples_dir) / rest
    elif kind == "skimage":
        import skimage

        path = Path(skimage.__file__).parent / "data" / rest
    elif kind == "debian":
        package, _, name = rest.partition(":")
        path = Path(name)
        if not path.is_file():
            raise ImageMissing(f"{path} is missing: install Debian's {package} (scripts/bootstrap.sh --test does)")
    else:
        raise ValueError(f"unknown source {image.source!r}")
    if not path.is_file():
        raise ImageMissing(f"{path} is missing")
    if hashlib.sha256(path.read_bytes()).hexdigest() != image.sha256:
        raise ImageMissing(f"{path} is not the judged file (its checksum differs)")
    return path


# ---------------------------------------------------------------------- measures


def dcg(grades):
    return sum((2 ** grade - 1) / math.log2(position + 2) for position, grade in enumerate(grades))


def ndcg_at(ranked, relevant, k=10):
    ideal = dcg(sorted(relevant.values(), reverse=True)[:k])
    return dcg([relevant.get(key, 0) for key in ranked[:k]]) / ideal if ideal else 0.0


def recall_at(ranked, wanted, k):
    """Share of ``wanted`` within the first ``k`` (of at most ``k`` of them): R@1 is "the right one first"."""
    return len(wanted & set(ranked[:k])) / min(k, len(wanted)) if wanted else 0.0


def precision_at_relevant(ranked, wanted, cap=20):
    """Precision of the first min(``cap``, number wanted): the issue's concept measure."""
    depth = min(cap, len(wanted))
    return len(wanted & set(ranked[:depth])) / depth if depth else 0.0


def average_precision(ranked, wanted):
    found, total = 0, 0.0
    for position, key in enumerate(ranked, start=1):
        if key in wanted:
            found += 1
            total += found / position
    return total / len(wanted) if wanted else 0.0


@dataclass
class Score:
    query: str
    kind: str
    r1: float
    r10: float
    precision: float
    ndcg10: float
    average_precision: float
    returned: int

    def row(self):
        return {"query": self.query, "kind": self.kind, "r1": round(self.r1, 3), "r10": round(self.r10, 3),
                "precision": round(self.precision, 3), "ndcg10": round(self.ndcg10, 3),
                "ap": round(self.average_precision, 3), "returned": self.returned}


def score(judged, ranked):
    """The measures of one query's ranking (image keys, best first)."""
    return Score(judged.query, judged.kind, recall_at(ranked, judged.asked, 1), recall_at(ranked, judged.asked, 10),
                 precision_at_relevant(ranked, judged.found), ndcg_at(ranked, judged.relevant),
                 average_precision(ranked, judged.found), len(ranked))


def evaluate(search, queries=None):
    """[Score per judged query that has relevant images]; ``search(judged_query)`` returns image keys."""
    return [score(judged, search(judged)) for judged in (queries or judged_queries()) if judged.found]


def mean(values):
    values = list(values)
    return sum(values) / len(values) if values else 0.0


def by_kind(scores):
    """{kind: {measure: mean}} over the queries of each kind, and "all"."""
    groups = {kind: [s for s in scores if s.kind == kind] for kind in KINDS}
    groups["all"] = list(scores)
    return {kind: {"queries": len(rows), "r1": mean(s.r1 for s in rows), "r10": mean(s.r10 for s in rows),
                   "precision": mean(s.precision for s in rows), "ndcg10": mean(s.ndcg10 for s in rows),
                   "map": mean(s.average_precision for s in rows)}
            for kind, rows in groups.items() if rows}
