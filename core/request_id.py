"""One id per request that follows its work: taken from a sane incoming ``X-Request-ID`` (a proxy's or a
client's) or made here, returned in the response, carried in the headers of every Celery task the request
queues and set again while that task runs, so the request's log lines and its tasks' lines share it
(``core.logs`` writes it on each line). Tasks queued by such a task carry it on (renditions → enrichment)."""
import re
import uuid
from contextvars import ContextVar

from celery import signals

HEADER = "X-Request-ID"
TASK_HEADER = "lumen_request_id"
# Letters, digits and ._:- only, at most 128: an incoming id is written into logs and headers as it is.
SANE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,127}")

current = ContextVar("request_id", default=None)


def accepted_or_new(incoming):
    """The caller's id when it is sane, else a new one (a UUID's 32 hex digits)."""
    return incoming if incoming and SANE.fullmatch(incoming) else uuid.uuid4().hex


class RequestIdMiddleware:
    """First in the chain, so every response (errors, static files) carries the id and every log line has it."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.request_id = accepted_or_new(request.headers.get(HEADER))
        token = current.set(request.request_id)
        try:
            response = self.get_response(request)
        finally:
            current.reset(token)
        response[HEADER] = request.request_id
        return response


@signals.before_task_publish.connect
def carry_to_task(headers=None, **kwargs):
    request_id = current.get()
    if request_id and headers is not None:
        headers.setdefault(TASK_HEADER, request_id)


@signals.task_prerun.connect
def adopt_in_task(task=None, **kwargs):
    """A worker running a task takes the id its message carried (none: a beat job, a command). An eager task
    runs inside its caller, whose id is already set."""
    if task is not None and not task.request.is_eager:
        current.set(task.request.get(TASK_HEADER))


@signals.task_postrun.connect
def forget_after_task(task=None, **kwargs):
    if task is not None and not task.request.is_eager:
        current.set(None)
