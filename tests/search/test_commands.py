"""manage.py reindex_search rebuilds what the signals would have written."""
import pytest
from django.core.management import call_command

from search.models import ImageHash, SearchDocument

pytestmark = pytest.mark.django_db


def test_reindex_search_rebuilds_documents_and_hashes(ingest, capsys):
    asset = ingest("chelsea", title="Chelsea")
    SearchDocument.objects.all().delete()
    ImageHash.objects.all().delete()
    call_command("reindex_search")
    assert SearchDocument.objects.filter(asset=asset).exists()
    assert ImageHash.objects.filter(version_id=asset.current_version_id).exists()
    assert "1 search documents, 1 new image hashes" in capsys.readouterr().out
