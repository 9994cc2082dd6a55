"""Log lines for machines (JSON, the default) or for people (``LOG_FORMAT=text``), from web and workers alike.

Every line carries the request id of the work it belongs to (``core.request_id``) and, in a worker, the
running task's name and id. Fields passed as ``extra`` — an inference event's model, ms and outcome — become
keys of the JSON object, or ``key=value`` pairs after the text line.
"""
import logging

from celery import current_task
from pythonjsonlogger.json import JsonFormatter as _JsonFormatter

from core import request_id

_RECORD_ATTRIBUTES = set(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {"message", "asctime"}


class ContextFilter(logging.Filter):
    """Adds ``request_id``, ``task`` and ``task_id`` to a record when there are any (set on the handler, so
    records of every logger get them)."""

    def filter(self, record):
        current_request = request_id.current.get()
        if current_request:
            record.request_id = current_request
        if current_task and not current_task.request.is_eager:
            record.task = current_task.name
            record.task_id = current_task.request.id
        return True


class JsonFormatter(_JsonFormatter):
    """One JSON object per line: time (UTC, ISO 8601), level, logger, message, then the context and extra fields."""

    def __init__(self):
        super().__init__("%(levelname)s %(name)s %(message)s", timestamp="time",
                         rename_fields={"levelname": "level", "name": "logger"})


class TextFormatter(logging.Formatter):
    """A line to read in a terminal; context and extra fields follow the message as ``key=value``."""

    def __init__(self):
        super().__init__("%(asctime)s %(levelname)s %(name)s: %(message)s")

    def formatMessage(self, record):
        fields = {key: value for key, value in vars(record).items() if key not in _RECORD_ATTRIBUTES}
        return super().formatMessage(record) + "".join(f" {key}={value}" for key, value in fields.items())
