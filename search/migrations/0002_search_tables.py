import django.contrib.postgres.fields
import django.contrib.postgres.indexes
import django.contrib.postgres.search
import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    """Search's tables: documents, concept labels, typo vocabulary, image hashes, archive flags, saved searches."""

    dependencies = [
        ('assets', '0001_initial'),
        ('ontology', '0002_load_wordnet_concepts'),
        ('search', '0001_extensions'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='DuplicateArchive',
            fields=[
                ('asset', models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, primary_key=True, related_name='duplicate_archive', serialize=False, to='assets.asset')),
                ('archived_at', models.DateTimeField(auto_now_add=True)),
                ('archived_by', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('kept', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='assets.asset')),
            ],
        ),
        migrations.CreateModel(
            name='ImageHash',
            fields=[
                ('version', models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, primary_key=True, related_name='image_hash', serialize=False, to='assets.assetversion')),
                ('dhash', models.BigIntegerField()),
                ('bands', django.contrib.postgres.fields.ArrayField(base_field=models.IntegerField(), size=None)),
            ],
            options={
                'indexes': [django.contrib.postgres.indexes.GinIndex(fields=['bands'], name='search_hash_bands')],
            },
        ),
        migrations.CreateModel(
            name='SearchDocument',
            fields=[
                ('asset', models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, primary_key=True, related_name='search_document', serialize=False, to='assets.asset')),
                ('document', django.contrib.postgres.search.SearchVectorField()),
                ('caption', models.TextField(blank=True)),
                ('ocr_text', models.TextField(blank=True)),
                ('format', models.CharField(blank=True, max_length=10)),
                ('orientation', models.CharField(blank=True, choices=[('landscape', 'Landscape'), ('portrait', 'Portrait'), ('square', 'Square')], max_length=10)),
                ('taken_at', models.DateTimeField(blank=True, null=True)),
                ('creator', models.CharField(blank=True, max_length=200)),
                ('camera', models.CharField(blank=True, max_length=200)),
                ('has_usage_terms', models.BooleanField(default=False)),
                ('updated_at', models.DateTimeField(auto_now=True)),
            ],
            options={
                'indexes': [django.contrib.postgres.indexes.GinIndex(fields=['document'], name='search_document_gin'), models.Index(fields=['taken_at'], name='search_document_taken'), models.Index(fields=['creator'], name='search_document_creator'), models.Index(fields=['camera'], name='search_document_camera')],
            },
        ),
        migrations.CreateModel(
            name='SearchTerm',
            fields=[
                ('term', models.TextField(primary_key=True, serialize=False)),
                ('trigrams', django.contrib.postgres.fields.ArrayField(base_field=models.TextField(), size=None)),
            ],
            options={
                'indexes': [django.contrib.postgres.indexes.GinIndex(fields=['trigrams'], name='search_term_trigrams')],
            },
        ),
        migrations.CreateModel(
            name='ConceptLabel',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('label', models.CharField(max_length=200)),
                ('label_normalised', models.CharField(max_length=200)),
                ('is_pref', models.BooleanField()),
                ('words', models.PositiveSmallIntegerField()),
                ('concept', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='ontology.concept')),
            ],
            options={
                'indexes': [models.Index(fields=['label_normalised'], name='search_label_norm', opclasses=['varchar_pattern_ops'])],
            },
        ),
        migrations.CreateModel(
            name='SavedSearch',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('name', models.CharField(max_length=200)),
                ('params', models.JSONField(default=dict)),
                ('created_at', models.DateTimeField(auto_now_add=True)),
                ('owner', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='saved_searches', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'ordering': ['name'],
                'constraints': [models.UniqueConstraint(fields=('owner', 'name'), name='unique_saved_search_name')],
            },
        ),
    ]
