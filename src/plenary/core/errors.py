"""The one exception type a service raises when a person asked for something not allowed."""


class DomainError(Exception):
    """A refusal with a message a person understands, in their language.

    `message` is usually a lazy translation, so that it is rendered in the language of the
    request that shows it. `code` is a stable identifier for the API and for tests.
    """

    def __init__(self, message, *, code: str = "refused", params: dict | None = None):
        self.message = message
        self.code = code
        self.params = params or {}
        super().__init__(str(message) if not self.params else str(message) % self.params)

    def user_message(self) -> str:
        text = str(self.message)
        return text % self.params if self.params else text
