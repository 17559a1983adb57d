"""The cookies the platform sets in browsers (names in one place)."""

SESSION_COOKIE = "saasport_session"  # a random token; the database keeps only its digest
CSRF_COOKIE = "saasport_csrf"  # the seed that form tokens are an HMAC of
LANG_COOKIE = "saasport_lang"  # the visitor's choice of language
