"""A teacher's own language, chosen in their settings, over the browser's."""

from django.utils import translation

from config.answers import database_unavailable


class TeacherLanguageMiddleware:
    """After ``LocaleMiddleware`` (which reads the language cookie and the browser's
    ``Accept-Language``) and authentication: a logged-in teacher who chose a language gets
    it on every device; one who did not keeps the browser's."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        language = self._chosen(request)
        if language and language != request.LANGUAGE_CODE:
            translation.activate(language)
            request.LANGUAGE_CODE = language
        return self.get_response(request)

    @staticmethod
    def _chosen(request) -> str:
        try:
            user = request.user
            return user.language if user.is_authenticated else ""
        except Exception as exc:
            # The database is out of reach: the page is in the browser's language, and
            # the view, reading the user again, answers 503 (ServiceBusyMiddleware).
            if database_unavailable(exc):
                return ""
            raise
