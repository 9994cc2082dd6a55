"""A small judged set for search quality: shared sample photos and skimage images, queries with
graded relevance (2 = what was asked for, 1 = partly), and nDCG@10 / MAP to compare fusions.

The judgements were made by looking at the images, not at what the models say about them, so
misses of the models (e.g. the jack-o'-lantern that WordNet files under lanterns, not pumpkins)
count against search as they would for a person.
"""
import math
from dataclasses import dataclass
from pathlib import Path

import skimage

SKIMAGE = Path(skimage.__file__).parent / "data"

# key -> path relative to the exif-samples folder, or "skimage:<file>".
IMAGES = {
    "chelsea": "skimage:chelsea.png",            # tabby cat
    "coffee": "skimage:coffee.png",              # cup of coffee
    "astronaut": "skimage:astronaut.png",        # astronaut portrait
    "motorcycle": "skimage:motorcycle_left.png",
    "rocket": "skimage:rocket.jpg",              # rocket on the launch pad
    "page": "skimage:page.png",                  # printed page about segmentation
    "cameraman": "skimage:camera.png",
    "horse": "skimage:horse.png",                # horse silhouette
    "iguana": "jpg/Canon_40D.jpg",
    "agama": "jpg/Kodak_CX7530.jpg",
    "yellow_motorbike": "jpg/Canon_DIGITAL_IXUS_400.jpg",
    "bus": "jpg/Nikon_COOLPIX_P1.jpg",
    "lionfish": "jpg/Olympus_C8080WZ.jpg",
    "whippet": "jpg/exif-org/fujifilm-finepix40i.jpg",
    "greyhound_on_rug": "jpg/exif-org/kodak-dc240.jpg",
    "wedding": "jpg/exif-org/canon-ixus.jpg",
    "party": "jpg/exif-org/kodak-dc210.jpg",
    "cars_mountain": "jpg/exif-org/olympus-c960.jpg",
    "cannon": "jpg/exif-org/nikon-e950.jpg",
    "rose": "jpg/Pentax_K10D.jpg",
    "frangipani": "jpg/Canon_PowerShot_S40.jpg",
    "starfish": "jpg/exif-org/fujifilm-mx1700.jpg",
    "salad_plate": "jpg/exif-org/sanyo-vpcsx550.jpg",
    "griddle_food": "jpg/exif-org/fujifilm-dx10.jpg",
    "jack_o_lantern": "jpg/exif-org/sony-powershota5.jpg",
    "arbitro_logo": "tiff/Arbitro.tiff",
    "jobagent_logo": "tiff/Jobagent.tiff",
    "street": "jpg/gps/DSCN0029.jpg",
    "ship": "jpg/mobile/HMD_Nokia_8.3_5G.jpg",
    "phlox": "heic/IMG_5195.HEIC",
    "harbour": "jpg/exif-org/sanyo-vpcg250.jpg",
}

VEHICLES = {"motorcycle": 2, "yellow_motorbike": 2, "bus": 2, "cars_mountain": 2, "street": 1, "harbour": 1,
            "ship": 1, "rocket": 1, "cannon": 1}
ANIMALS = {"chelsea": 2, "iguana": 2, "agama": 2, "lionfish": 2, "whippet": 2, "greyhound_on_rug": 2,
           "starfish": 2, "horse": 1}


@dataclass(frozen=True)
class JudgedQuery:
    text: str
    relevant: dict
    similar_to: str = ""

    @property
    def name(self):
        return f"{self.text} ~ {self.similar_to}" if self.similar_to else self.text


QUERIES = [
    JudgedQuery("cat", {"chelsea": 2}),
    JudgedQuery("cats", {"chelsea": 2}),
    JudgedQuery("animal", ANIMALS),
    JudgedQuery("dog", {"whippet": 2, "greyhound_on_rug": 2}),
    JudgedQuery("lizard", {"iguana": 2, "agama": 2}),
    JudgedQuery("motorcycle", {"motorcycle": 2, "yellow_motorbike": 2}),
    JudgedQuery("motorcyle", {"motorcycle": 2, "yellow_motorbike": 2}),
    JudgedQuery("vehicle", VEHICLES),
    JudgedQuery("bus", {"bus": 2}),
    JudgedQuery("coffee", {"coffee": 2}),
    JudgedQuery("flowers", {"rose": 2, "frangipani": 2, "phlox": 2}),
    JudgedQuery("food", {"salad_plate": 2, "griddle_food": 2, "coffee": 1, "jack_o_lantern": 1}),
    JudgedQuery("people", {"wedding": 2, "party": 2, "astronaut": 2, "cameraman": 2, "griddle_food": 1,
                           "salad_plate": 1}),
    JudgedQuery("boat", {"ship": 2, "harbour": 1}),
    JudgedQuery("fish", {"lionfish": 2}),
    JudgedQuery("pumpkin", {"jack_o_lantern": 2}),
    JudgedQuery("segmentation markers", {"page": 2}),
    JudgedQuery("jobagent", {"jobagent_logo": 2}),
    JudgedQuery("dog on a bed", {"greyhound_on_rug": 2, "whippet": 1}),
    JudgedQuery("people at a table", {"griddle_food": 2, "salad_plate": 2, "wedding": 1, "party": 1}),
    JudgedQuery("animal", {**ANIMALS, "greyhound_on_rug": 2, "chelsea": 1, "horse": 2}, similar_to="whippet"),
    JudgedQuery("vehicle", {**VEHICLES, "yellow_motorbike": 2}, similar_to="motorcycle"),
]


def image_path(source, samples_dir):
    return SKIMAGE / source.removeprefix("skimage:") if source.startswith("skimage:") else Path(samples_dir) / source


def dcg(grades):
    return sum((2 ** grade - 1) / math.log2(position + 2) for position, grade in enumerate(grades))


def ndcg_at(ranked, relevant, k=10):
    ideal = dcg(sorted(relevant.values(), reverse=True)[:k])
    return dcg([relevant.get(key, 0) for key in ranked[:k]]) / ideal if ideal else 0.0


def average_precision(ranked, relevant):
    """Mean of precision at each relevant hit, over all relevant images (grade ≥ 1)."""
    found, total = 0, 0.0
    for position, key in enumerate(ranked, start=1):
        if relevant.get(key, 0) > 0:
            found += 1
            total += found / position
    return total / len(relevant) if relevant else 0.0


@dataclass
class Score:
    query: str
    ndcg10: float
    average_precision: float
    returned: int


def evaluate(search, fusions=("rrf", "weighted"), queries=QUERIES):
    """{fusion: [Score per query]}; ``search(judged_query, fusion)`` returns image keys, best first."""
    scores = {}
    for fusion in fusions:
        scores[fusion] = []
        for judged in queries:
            relevant = {k: g for k, g in judged.relevant.items() if k != judged.similar_to}
            ranked = search(judged, fusion)
            scores[fusion].append(Score(judged.name, ndcg_at(ranked, relevant), average_precision(ranked, relevant),
                                        len(ranked)))
    return scores


def mean(values):
    values = list(values)
    return sum(values) / len(values) if values else 0.0


def summary(scores):
    """{fusion: (mean nDCG@10, MAP)}."""
    return {fusion: (mean(s.ndcg10 for s in rows), mean(s.average_precision for s in rows))
            for fusion, rows in scores.items()}


def markdown_table(scores):
    """Per-query nDCG@10 and AP for each fusion, then the means: the table for docs/benchmarks.md."""
    fusions = list(scores)
    header = "| query | " + " | ".join(f"{f} nDCG@10 | {f} AP" for f in fusions) + " | results |"
    lines = [header, "|" + "---|" * (2 * len(fusions) + 2)]
    for rows in zip(*scores.values()):
        cells = " | ".join(f"{r.ndcg10:.3f} | {r.average_precision:.3f}" for r in rows)
        lines.append(f"| {rows[0].query} | {cells} | {rows[0].returned} |")
    means = summary(scores)
    lines.append("| **mean** | " + " | ".join(f"**{means[f][0]:.3f}** | **{means[f][1]:.3f}**" for f in fusions)
                 + " | |")
    return "\n".join(lines)
