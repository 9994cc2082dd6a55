from django.db import migrations


class Migration(migrations.Migration):
    """Two branches of work each added a 0003: job CPU time and cost (metrics), colour palettes (search quality)."""

    dependencies = [
        ("enrichment", "0003_job_cpu_time_and_cost"),
        ("enrichment", "0004_detected_boats_are_vessels"),
    ]
    operations = []
