"""Lumen DAM project package: settings, URL root, Celery app and embedded services."""
from .celery import app as celery_app

__all__ = ("celery_app",)
