import re

import pytest

pytestmark = pytest.mark.django_db


def test_it_sends_a_content_security_policy_with_a_fresh_nonce_per_page(client, clinician):
    client.force_login(clinician)
    first = client.get("/clinic/")
    second = client.get("/clinic/")
    policy = first["Content-Security-Policy"]
    assert "default-src 'self'" in policy
    assert "frame-ancestors 'none'" in policy
    nonce = re.search(r"'nonce-([^']+)'", policy).group(1)
    assert f'nonce="{nonce}"' in first.text
    assert nonce not in second["Content-Security-Policy"]


def test_it_forbids_framing_and_limits_referrers(client):
    response = client.get("/accounts/login/")
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Content-Type-Options"] == "nosniff"


def test_it_has_no_inline_scripts_that_the_policy_would_block(client, clinician, patient_record):
    client.force_login(clinician)
    html = client.get(f"/clinic/patients/{patient_record.mrn}/").text
    for tag in re.findall(r"<script[^>]*>", html):
        assert "nonce=" in tag
