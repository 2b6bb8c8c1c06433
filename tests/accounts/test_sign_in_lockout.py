"""django-axes keeps a persistent lockout: five wrong passwords for one username from one
address, and even the right password is refused until the cool-off ends or an admin unlocks."""

import pytest
from axes.models import AccessAttempt

from tests.factories.clinic import TEST_PASSWORD

pytestmark = pytest.mark.django_db

LOGIN_URL = "/accounts/login/"


@pytest.fixture(autouse=True)
def _only_axes_limits_sign_in(settings):
    # allauth's own cache-based rate limit (5 failures per 5 minutes) would hide whether axes
    # works; these tests are about axes, so switch allauth's limit off.
    settings.ACCOUNT_RATE_LIMITS = False


def fail_to_sign_in(client, username, times):
    for _ in range(times):
        response = client.post(LOGIN_URL, {"login": username, "password": "not-the-password"})
        assert response.status_code in (200, 429)


def sign_in(client, username):
    return client.post(LOGIN_URL, {"login": username, "password": TEST_PASSWORD})


def test_it_locks_an_account_after_five_failed_sign_ins(client, settings, clinician):
    assert settings.AXES_FAILURE_LIMIT == 5
    fail_to_sign_in(client, "clinician", 5)

    response = sign_in(client, "clinician")

    assert response.status_code == 429
    assert "account/locked_out.html" in [t.name for t in response.templates]
    assert "Too many failed sign-in attempts" in response.text
    assert "_auth_user_id" not in client.session


def test_it_still_signs_in_after_four_failed_sign_ins(client, clinician):
    fail_to_sign_in(client, "clinician", 4)

    assert sign_in(client, "clinician").status_code == 302


def test_it_records_the_lockout_against_the_username_and_address(client, clinician):
    fail_to_sign_in(client, "clinician", 5)

    attempt = AccessAttempt.objects.get()
    assert (attempt.username, attempt.ip_address) == ("clinician", "127.0.0.1")
    assert attempt.failures_since_start == 5


def test_it_counts_a_differently_capitalised_username_as_the_same_account(client, clinician):
    fail_to_sign_in(client, "Clinician", 3)
    fail_to_sign_in(client, "CLINICIAN", 2)

    assert sign_in(client, "clinician").status_code == 429


def test_it_does_not_lock_out_other_people_at_the_same_address(client, clinician, outsider):
    fail_to_sign_in(client, "clinician", 5)

    assert sign_in(client, "outsider").status_code == 302


def test_allauths_rate_limit_alone_also_stops_sign_in_after_five_failures(
    client, settings, clinician
):
    # A second, independent layer: allauth's per-username limit (cache-based, 5 in 5 minutes).
    settings.AXES_ENABLED = False
    del settings.ACCOUNT_RATE_LIMITS  # back to allauth's defaults
    fail_to_sign_in(client, "clinician", 5)

    response = sign_in(client, "clinician")

    assert response.status_code == 200
    assert "_auth_user_id" not in client.session
