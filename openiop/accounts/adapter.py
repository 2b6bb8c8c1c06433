from allauth.account.adapter import DefaultAccountAdapter


class AccountAdapter(DefaultAccountAdapter):
    """Accounts are created by the clinic (staff) or at admission (patients), never by sign-up."""

    def is_open_for_signup(self, request):
        return False

    def get_login_redirect_url(self, request):
        user = request.user
        if user.is_portal_user:
            return "/portal/"
        return "/clinic/"
