"""One way to say no: a service refuses what it was asked with a message meant for the person who asked.

Ingest refuses files (400, 413, 415…), governance refuses actions the asset's state forbids (409:
legal hold, not in the trash…), signed links refuse expired or tampered tokens (403, 410). Views do not
translate them: ``core.api.exception_handler`` answers API clients with ``{"error", "message"}`` and
``core.middleware.RefusalMiddleware`` answers browsers, so every refusal reads the same everywhere.
"""


class Refused(Exception):
    """``message`` is for people; ``code`` is a stable word for programs; ``status`` the HTTP status;
    ``expert_details`` what a decoder or library said, for those who want it (pages hide it in a disclosure);
    ``retry_after`` the seconds after which asking again may succeed (sent as ``Retry-After``)."""

    def __init__(self, message, code="invalid", status=400, expert_details="", *, retry_after=None):
        super().__init__(message)
        self.message = message
        self.code = code
        self.status = status
        self.expert_details = expert_details
        self.retry_after = retry_after

    @property
    def headers(self):
        return {"Retry-After": str(self.retry_after)} if self.retry_after else {}
