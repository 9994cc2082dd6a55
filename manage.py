#!/usr/bin/env python
"""Django's command-line utility for Lumen DAM; it also starts the embedded services the environment lacks."""
import os
import sys

if __name__ == "__main__":
    from dam.embedded import prepare_environment

    prepare_environment()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dam.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)
