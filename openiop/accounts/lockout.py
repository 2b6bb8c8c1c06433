"""Which account a sign-in attempt is for, as django-axes needs to know it."""


def username_for_lockout(request, credentials: dict | None = None) -> str | None:
    """Return the username a sign-in attempt names, lower-cased.

    allauth hands `authenticate()` the username under the key `username`, while its form posts
    it as `login`; axes reads only one key, so without this every failure was recorded with no
    username and a locked-out account could still sign in with the right password. Usernames
    are case-insensitive at sign-in, so the lockout is too ("Clinician" counts as "clinician").
    """
    for source in (credentials or {}, getattr(request, "POST", {})):
        for key in ("username", "login"):
            value = source.get(key)
            if value:
                return str(value).strip().lower()
    return None
