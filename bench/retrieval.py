"""Retrieval quality on the judged set (``search.evaluation``), at the model ceiling and through the API.

Every judged image is uploaded under a neutral file name (``img-001.jpg``: no title to find it by) into
this script's own embedded Postgres (its queued tasks go to a Redis of its own and are not run), and
enriched in this process by the real models that search reads (classifier, detector, OCR, colours)
on its working image: the upright original scaled to 1280 px, as the largest rendition the worker reads. Then
each judged query is asked through ``GET /api/search/`` (Django's test client: the whole stack but the
socket) as the images' owner, and — for class names and concepts — the classifier alone ranks the same
images by its own probabilities: the probability of the class named, or the summed probability of
the classes under the concept (the ceiling of what search can do with that model).

Prints R@1 and R@10 (the grade-2 images within the first 1 and 10), precision of the first
min(20, relevant), nDCG@10 and MAP per query kind and per query, writes ``bench/results/retrieval.json``
and (unless ``--no-docs``) the "## Retrieval" section of docs/benchmarks.md.

    python bench/retrieval.py [--no-docs] [--before bench/results/retrieval-before.json] [--keep DIR]

``--keep DIR`` keeps the database (and what the library's build found) in DIR: a second run with the same
DIR asks the queries again without uploading and enriching again (for comparing ranking settings).

``--before`` reads an earlier run's JSON (e.g. made on the previous commit) and puts its per-query
figures beside this run's.
"""
import argparse
import datetime
import json
import tempfile
import time
from pathlib import Path

import harness
from harness import REPO, isolate_environment, private_redis, write_section

HEADING = "## Retrieval"
RESULTS = REPO / "bench" / "results" / "retrieval.json"
WORKING_SIZE = 1280  # the largest rendition, which the worker's models read
CAPABILITIES = ("classify", "detect", "ocr", "colours")  # what search reads (not moderation, faces)


def build_library():
    """Ingest and enrich every judged image on this machine; returns ({asset id: key}, the user, the
    classifier's probabilities per key, the images left out with why)."""
    from django.contrib.auth import get_user_model
    from django.db import connection
    from PIL import Image

    from assets.services.ingest import ingest_file
    from core.audit import Actor
    from enrichment.models import Capability, ModelRun
    from enrichment.services import jobs
    from enrichment.services.capabilities import STEPS, classifier
    from enrichment.services.working_image import displayed_image, load_original
    from search import evaluation
    from search.vectors import ensure_vector_indexes

    user = get_user_model().objects.create_user("judge", password="correct-horse-battery")
    actor = Actor(user=user)
    keys, versions, working, missing = {}, [], {}, {}
    for number, image in enumerate(evaluation.judged_images(), start=1):
        try:
            path = evaluation.locate(image)
        except evaluation.ImageMissing as exc:
            missing[image.key] = str(exc)
            continue
        with path.open("rb") as handle:
            result = ingest_file(handle, filename=f"img-{number:03d}{path.suffix.lower()}", actor=actor)
        keys[result.asset.pk] = image.key
        versions.append(result.version)
        scaled = load_original(result.version).image
        scaled.thumbnail((WORKING_SIZE, WORKING_SIZE), Image.Resampling.LANCZOS)
        working[result.version.pk] = displayed_image(result.version, scaled)
    print(f"{len(versions)} images ingested", flush=True)
    for capability in CAPABILITIES:
        if capability in STEPS:  # (an earlier commit may lack one)
            started = time.perf_counter()
            jobs.run_step(capability, versions, images=working)
            print(f"{capability}: {time.perf_counter() - started:.0f} s", flush=True)
    ensure_vector_indexes(ModelRun.objects.get(capability=Capability.SIMILARITY, active=True))
    adapter = classifier()
    ranked, _ = adapter.classify_and_embed([working[v.pk].image for v in versions], top_k=len(adapter.labels))
    probabilities = {keys[version.asset_id]: dict(row) for version, row in zip(versions, ranked)}
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return keys, user, probabilities, missing


def ceiling_ranking(judged, probabilities):
    """Images by the classifier's own probability for what the query names (summed over the classes under
    each concept; the best sense), or None when the query names no concept the classifier has classes under."""
    from django.db.models import Q

    from ontology.models import Concept
    from search.concepts import interpret

    interpretation = interpret(judged.query)
    if len(interpretation.matches) != 1:
        return None
    classes = []
    for concept_id in interpretation.matches[0].concept_ids:
        under = Concept.objects.filter(Q(pk=concept_id) | Q(ancestors__contains=[concept_id]),
                                       imagenet_index__isnull=False)
        classes.append(list(under.values_list("pk", flat=True)))
    if not any(classes):
        return None
    scores = {key: max(sum(probs.get(wnid, 0.0) for wnid in group) for group in classes)
              for key, probs in probabilities.items()}
    return [key for key, _ in sorted(scores.items(), key=lambda item: (-item[1], item[0]))]


GENERIC = {"entity", "physical entity", "object", "whole", "artifact", "artefact", "abstraction", "matter",
           "thing", "unit", "living thing", "organism", "being", "instrumentality", "instrumentation"}
SHOWN_THRESHOLDS = (0.05, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8)
NO_SUBJECT = {"abstract", "icons", "diagram", "chart", "logo", "text"}  # images that show no thing to label


def label_precision(keys):
    """Per model kind and confidence threshold: how many stored labels at or above it, and the share of
    them that are right, read against what each judged image shows (a label is right when one of its
    concept's labels, or a broader concept's, is a phrase of the judgement: "whippet" on "dog on a rug")."""
    from enrichment.models import MachineLabel
    from ontology.labels import normalise
    from ontology.models import Concept
    from search import evaluation

    images = evaluation.judged_images()
    shows = {image.key: f" {normalise(image.shows + ' ' + ' '.join(image.subjects))} " for image in images}
    pictures = {image.key for image in images if set(image.subjects) - NO_SUBJECT}
    concepts = {pk: (labels, ancestors) for pk, labels, ancestors in
                Concept.objects.values_list("pk", "alt_labels", "ancestors")}
    names = dict(Concept.objects.values_list("pk", "pref_label"))

    def phrases(concept_id):
        alt, ancestors = concepts[concept_id]
        found = set()
        for pk in [concept_id, *ancestors]:
            for label in [names[pk], *(concepts[pk][0] if pk in concepts else [])]:
                if label.lower() not in GENERIC:
                    found.add(f" {normalise(label)} ")
        return found

    rows = MachineLabel.objects.filter(version__asset_id__in=list(keys), model__active=True).values_list(
        "version__asset_id", "concept_id", "confidence", "model__capability")
    judged = [(capability, confidence, any(p in shows[keys[asset]] for p in phrases(concept)),
               keys[asset] in pictures) for asset, concept, confidence, capability in rows]
    table = {}
    for capability in sorted({row[0] for row in judged}):
        for name, only_pictures in ((capability, False), (f"{capability}, images with a subject", True)):
            table[name] = []
            for threshold in SHOWN_THRESHOLDS:
                kept = [right for kind, confidence, right, picture in judged
                        if kind == capability and confidence >= threshold and (picture or not only_pictures)]
                table[name].append({"threshold": threshold, "labels": len(kept),
                                    "precision": round(sum(kept) / len(kept), 3) if kept else None})
    return table


def api_ranking(client, keys_by_uid, judged):
    response = client.get("/api/search/", {"q": judged.query, "page_size": 100, "facets": "false"})
    if response.status_code != 200:
        raise RuntimeError(f"/api/search/ answered {response.status_code}: {response.content[:300]!r}")
    return [keys_by_uid[hit["uid"]] for hit in response.json()["results"] if hit["uid"] in keys_by_uid]


def kept_library(var_dir):
    """The library built in ``var_dir`` by an earlier run with ``--keep``, else build it and keep it."""
    from django.contrib.auth import get_user_model

    saved = Path(var_dir) / "library.json"
    if saved.exists():
        keys, probabilities, missing = json.loads(saved.read_text())
        return {int(pk): key for pk, key in keys.items()}, get_user_model().objects.get(username="judge"), \
            probabilities, missing
    keys, user, probabilities, missing = build_library()
    saved.write_text(json.dumps([keys, probabilities, missing]))
    return keys, user, probabilities, missing


def run(before=None, docs=True, var_dir=None):
    from django.test import Client

    from assets.models import Asset
    from search import evaluation

    started = time.perf_counter()
    keys, user, probabilities, missing = kept_library(var_dir) if var_dir else build_library()
    keys_by_uid = {str(uid): keys[pk] for pk, uid in Asset.objects.filter(pk__in=keys).values_list("pk", "uid")}
    client = Client()
    client.force_login(user)
    queries = evaluation.judged_queries()
    through_api = evaluation.evaluate(lambda judged: api_ranking(client, keys_by_uid, judged), queries)
    ceilings = {}
    for judged in queries:
        if judged.kind in ("classname", "concept") and judged.found:
            ranking = ceiling_ranking(judged, probabilities)
            if ranking is not None:
                ceilings[judged.query] = evaluation.score(judged, ranking)
    empty = [judged.query for judged in queries
             if judged.found and not api_ranking(client, keys_by_uid, judged)]
    summary = evaluation.by_kind(through_api)
    labels = label_precision(keys)
    ceiling_summary = evaluation.by_kind(list(ceilings.values()))
    result = {
        "measured_at": datetime.datetime.now().isoformat(timespec="seconds"),
        "machine": harness.machine(),
        "judged_images": len(keys),
        "judged_queries": len(through_api),
        "missing_images": missing,
        "classname_r1": round(summary.get("classname", {}).get("r1", 0.0), 3),
        "classname_r10": round(summary.get("classname", {}).get("r10", 0.0), 3),
        "concept_precision_mean": round(summary.get("concept", {}).get("precision", 0.0), 3),
        "empty_answers": len(empty),
        "empty_queries": empty,
        "ceiling": {"classname_r1": round(ceiling_summary.get("classname", {}).get("r1", 0.0), 3),
                    "classname_r10": round(ceiling_summary.get("classname", {}).get("r10", 0.0), 3),
                    "concept_precision_mean": round(ceiling_summary.get("concept", {}).get("precision", 0.0), 3)},
        "by_kind": {kind: {k: round(v, 3) if isinstance(v, float) else v for k, v in row.items()}
                    for kind, row in summary.items()},
        "ceiling_by_kind": {kind: {k: round(v, 3) if isinstance(v, float) else v for k, v in row.items()}
                            for kind, row in ceiling_summary.items()},
        "label_precision": labels,
        "queries": [s.row() | ({"ceiling": ceilings[s.query].row()} if s.query in ceilings else {})
                    for s in through_api],
        "seconds": round(time.perf_counter() - started),
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=1) + "\n")
    previous = json.loads(Path(before).read_text()) if before else None
    text = report(result, previous)
    print(text)
    if docs:
        write_section(HEADING, text)
    return result


def _kind_table(result):
    lines = ["| kind | queries | R@1 | R@10 | precision | nDCG@10 | MAP | ceiling R@1 | ceiling R@10 | ceiling precision |",
             "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for kind, row in result["by_kind"].items():
        ceiling = result["ceiling_by_kind"].get(kind)
        extra = (f"{ceiling['r1']:.3f} | {ceiling['r10']:.3f} | {ceiling['precision']:.3f}" if ceiling
                 else "– | – | –")
        lines.append(f"| {kind} | {row['queries']} | {row['r1']:.3f} | {row['r10']:.3f} | {row['precision']:.3f} | "
                     f"{row['ndcg10']:.3f} | {row['map']:.3f} | {extra} |")
    return lines


def report(result, previous=None):
    machine = result["machine"]
    lines = [
        HEADING, "",
        f"Run {machine['date']} by `bench/retrieval.py`: {result['judged_images']} judged images, "
        f"{result['judged_queries']} judged queries (`tests/search/judged/`), uploaded under neutral file names and "
        f"enriched by the real models in process; queries through `GET /api/search/`. Machine: {machine['cpus']} "
        f"CPUs ({machine['cpu']}), {machine['ram']} RAM, load average {machine['load average']}. "
        "Ceiling: the classifier alone ranking the same images by its own probability for the class named "
        "(or summed over the classes under the concept). R@k counts the grade-2 images within the first k; "
        "precision is that of the first min(20, relevant).", "",
        f"Class names: R@1 {result['classname_r1']:.3f}, R@10 {result['classname_r10']:.3f} "
        f"(ceiling {result['ceiling']['classname_r1']:.3f} / {result['ceiling']['classname_r10']:.3f}); "
        f"concept precision {result['concept_precision_mean']:.3f} (ceiling "
        f"{result['ceiling']['concept_precision_mean']:.3f}); empty answers {result['empty_answers']} "
        f"({', '.join(result['empty_queries']) or 'none'}).", "",
    ]
    if previous:
        lines += ["Before (the previous commit, same images and queries):", "", *_kind_table(previous), "", "After:", ""]
    lines += [*_kind_table(result), ""]
    lines += ["Labels as the asset page would show them: per model and confidence threshold, the labels at or above "
              "it and the share that are right (a label, or a broader concept of it, named in the image's "
              "judgement):", "",
              "| model | " + " | ".join(f"≥ {t}" for t in SHOWN_THRESHOLDS) + " |",
              "|---|" + "---:|" * len(SHOWN_THRESHOLDS)]
    for capability, rows in result.get("label_precision", {}).items():
        cells = " | ".join(f"{r['precision']:.2f} ({r['labels']})" if r["precision"] is not None else "–"
                           for r in rows)
        lines.append(f"| {capability} | {cells} |")
    lines.append("")
    old = {row["query"]: row for row in previous["queries"]} if previous else {}
    header = "| query | kind | R@1 | R@10 | precision | nDCG@10 | returned |"
    if previous:
        header = "| query | kind | before nDCG@10 | before precision | before returned | nDCG@10 | precision | R@10 | returned |"
    lines += [header, "|" + "---|" * (header.count("|") - 1)]
    for row in result["queries"]:
        if previous:
            was = old.get(row["query"], {})
            lines.append(f"| {row['query']} | {row['kind']} | {was.get('ndcg10', 0):.3f} | {was.get('precision', 0):.3f} | "
                         f"{was.get('returned', '–')} | {row['ndcg10']:.3f} | {row['precision']:.3f} | {row['r10']:.3f} | "
                         f"{row['returned']} |")
        else:
            lines.append(f"| {row['query']} | {row['kind']} | {row['r1']:.3f} | {row['r10']:.3f} | {row['precision']:.3f} | "
                         f"{row['ndcg10']:.3f} | {row['returned']} |")
    if result["missing_images"]:
        lines += ["", f"Left out (not on the machine): {', '.join(sorted(result['missing_images']))}."]
    return "\n".join(lines) + "\n"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-docs", action="store_true", help="do not rewrite docs/benchmarks.md")
    parser.add_argument("--before", help="an earlier run's retrieval.json, shown beside this one")
    parser.add_argument("--keep", help="keep the library in this folder and reuse it on the next run")
    args = parser.parse_args()
    if args.keep:
        Path(args.keep).mkdir(parents=True, exist_ok=True)
        isolate_environment(Path(args.keep), REDIS_URL=private_redis(Path(args.keep)))
        run(args.before, docs=not args.no_docs, var_dir=args.keep)
        return
    with tempfile.TemporaryDirectory(prefix="lumen-retrieval-") as var_dir:
        isolate_environment(Path(var_dir), REDIS_URL=private_redis(Path(var_dir)))
        run(args.before, docs=not args.no_docs)


if __name__ == "__main__":
    main()
