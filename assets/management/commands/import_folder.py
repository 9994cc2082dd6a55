"""Import every image under a folder through the same ingest service as the web and API."""
import json
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from assets.models import Collection
from assets.services.ingest import ingest_checks, ingest_file
from core.audit import Actor
from core.refusals import Refused


class Command(BaseCommand):
    help = "Ingest all files under FOLDER (recursively); refused files are listed, never fatal."

    def add_arguments(self, parser):
        parser.add_argument("folder", type=Path)
        parser.add_argument("--user", required=True, help="username recorded as uploader and owner")
        parser.add_argument("--collection", action="append", default=[], help="collection slug (repeatable)")
        parser.add_argument("--keyword", action="append", default=[],
                            help="keyword added to every new asset (repeatable)")
        parser.add_argument("--rights", type=Path, metavar="JSON_FILE", help=(
            "usage rights recorded on every new asset: a JSON object with the fields of the rights API, e.g. "
            '{"licence_type": "royalty_free", "holder": "Ada", "channels": ["web"], "expires_on": "2030-12-31"}'))
        parser.add_argument("--no-progress", action="store_true")

    def handle(self, folder, user, collection, keyword, rights, no_progress, **options):
        if not folder.is_dir():
            raise CommandError(f"{folder} is not a folder")
        try:
            actor = Actor(user=get_user_model().objects.get(username=user))
        except get_user_model().DoesNotExist:
            raise CommandError(f"no user named {user!r}")
        collections = list(Collection.objects.filter(slug__in=collection))
        missing = set(collection) - {c.slug for c in collections}
        if missing:
            raise CommandError(f"unknown collection(s): {', '.join(sorted(missing))}")
        terms = _rights_terms(rights) if rights else None
        try:  # wrong rights or keywords stop the import before its first file, not at every one
            ingest_checks(keywords=keyword, rights=terms)
        except Refused as exc:
            raise CommandError(exc.message)
        files = sorted(p for p in folder.rglob("*") if p.is_file() and not p.name.startswith("."))
        counts = {"created": 0, "duplicate": 0, "refused": 0}
        for path in tqdm(files, unit="file", disable=no_progress, file=self.stderr._out):
            try:
                with path.open("rb") as handle:
                    result = ingest_file(handle, filename=path.name, actor=actor, collections=collections,
                                         keywords=keyword, rights=terms)
            except Refused as exc:
                counts["refused"] += 1
                tqdm.write(f"refused {path}: {exc.message}", file=self.stderr._out)
                continue
            counts["created" if result.created else "duplicate"] += 1
            if not result.created:
                tqdm.write(f"already present {path}: {result.duplicate_message}", file=self.stderr._out)
        self.stdout.write(
            f"{len(files)} files: {counts['created']} new assets, {counts['duplicate']} already present, "
            f"{counts['refused']} refused"
        )


def _rights_terms(path):
    try:
        terms = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise CommandError(f"cannot read usage rights from {path}: {exc}")
    if not isinstance(terms, dict):
        raise CommandError(f"{path} must hold a JSON object of usage-rights fields")
    return terms
