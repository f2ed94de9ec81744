class DomainError(Exception):
    """An illegal state change or request, refused with a sentence a person can read.

    `field` names the form field the message belongs beside, when there is one.
    """

    def __init__(self, message: str, *, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field

    def __str__(self) -> str:
        return str(self.message)  # a lazy translation (gettext_lazy) is drawn here
