from django.db import migrations
from pgvector.django import VectorExtension


class Migration(migrations.Migration):
    """pgvector for similarity search; text search uses Postgres's built-in tsvector.

    pg_trgm is not assumed: the embedded server ships only pgvector.
    """

    initial = True
    dependencies = []
    operations = [VectorExtension()]
