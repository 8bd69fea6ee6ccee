"""Who a notification goes to."""
from dataclasses import dataclass


@dataclass(frozen=True)
class Recipient:
    """A user as seen by the notifier.

    `username` is the key of the in-app inbox and of duplicate suppression; the
    other fields are optional addresses. A channel the recipient has no address
    for is skipped at enqueue time.
    """

    username: str
    display_name: str = ""
    email: str | None = None
    webhook_url: str | None = None
    wecom_userid: str | None = None
    mobile: str | None = None
    locale: str | None = None

    def __post_init__(self):
        if not self.username:
            raise ValueError("recipient username must not be empty")

    @property
    def name(self) -> str:
        return self.display_name or self.username
