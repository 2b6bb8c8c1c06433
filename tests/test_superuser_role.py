import pytest

from openiop.accounts.models import User

pytestmark = pytest.mark.django_db


def test_it_makes_a_superuser_without_a_role_a_system_administrator():
    user = User.objects.create_superuser("root-admin", "root@example.org", "x" * 20)
    assert user.role == "admin"


def test_it_sends_a_superuser_without_mfa_to_enrolment(client, settings):
    settings.OPENIOP_REQUIRE_STAFF_MFA = True
    user = User.objects.create_superuser("root-admin", "root@example.org", "x" * 20)
    client.force_login(user)
    response = client.get("/admin/")
    assert response.status_code == 302
    assert "/accounts/2fa/totp/activate/" in response["Location"]
