from django.conf import settings
from django.utils import translation


def plenary(request):
    current = translation.get_language() or settings.LANGUAGE_CODE
    return {
        "plenary_languages": [
            {
                "code": code,
                "name": translation.get_language_info(code)["name_local"],
                "current": code == current,
            }
            for code, _name in settings.LANGUAGES
        ],
        "bootstrap_css": "vendor/bootstrap/css/bootstrap.rtl.min.css"
        if translation.get_language_bidi()
        else "vendor/bootstrap/css/bootstrap.min.css",
        "unsupported_language": request.GET.get("unsupported_language", "")[:20],
    }
