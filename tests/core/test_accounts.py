"""Accounts: e-mail login; a second factor (TOTP) is required for the secretariat; the
administration is the secretariat's."""

import pytest

from plenary.consultations.models import Appointment
from plenary.core.models import User
from tests import factories


def _login(client, email, password):
    return client.post("/en/accounts/login/", {"login": email, "password": password})


@pytest.fixture
def password(vcc2):
    return {account["email"]: account["password"] for account in vcc2.credentials}


def test_delegate_signs_in_with_email_and_password(client, vcc2, password):
    response = _login(client, "delegate.cn@example.org", password["delegate.cn@example.org"])
    assert response.status_code == 302
    assert client.get("/en/c/vcc-2/").context["user"].email == "delegate.cn@example.org"


def test_wrong_password_is_refused(client, vcc2):
    response = _login(client, "delegate.cn@example.org", "wrong-password")
    assert response.status_code == 200
    assert not response.context["user"].is_authenticated


def test_secretariat_login_asks_for_the_second_factor(
    client, vcc2, password, secretariat_user, totp_code
):
    response = _login(client, "secretariat@example.org", password["secretariat@example.org"])
    assert response.status_code == 302
    assert "/accounts/2fa/authenticate/" in response["Location"]
    # Not signed in until the code is given.
    assert not client.get("/en/states/").context["user"].is_authenticated
    response = client.post(response["Location"], {"code": "000000"})
    assert not client.get("/en/states/").context["user"].is_authenticated
    response = client.post("/en/accounts/2fa/authenticate/", {"code": totp_code(secretariat_user)})
    assert response.status_code == 302
    assert client.get("/en/states/").context["user"] == secretariat_user
    assert client.get("/admin/").status_code == 200


def test_secretariat_without_second_factor_must_set_one_up(client, vcc2):
    officer = User.objects.create_user("new.officer@example.org", "a-long-passphrase-2020")
    Appointment.objects.create(user=officer, role=Appointment.Role.SECRETARIAT)
    client.force_login(officer)
    response = client.get("/en/c/vcc-2/agenda/")
    assert response.status_code == 302
    assert "/accounts/2fa/totp/activate" in response["Location"]
    assert client.get("/admin/").status_code == 302


def test_delegate_does_not_need_a_second_factor_but_has_no_admin(client, vcc2):
    client.force_login(factories.delegate("EG"))
    assert client.get("/en/c/vcc-2/agenda/").status_code == 200
    response = client.get("/admin/", follow=True)
    assert response.status_code == 403


def test_admin_login_goes_through_the_common_login_with_its_second_factor(client, vcc2):
    response = client.get("/admin/", follow=True)
    assert response.redirect_chain[-1][0].startswith("/en/accounts/login/")
    response = client.get("/admin/login/?next=/admin/")
    assert response.status_code == 302
    assert response["Location"].startswith("/en/accounts/login/")


def test_open_sign_up_is_closed(client, vcc2):
    response = client.post(
        "/en/accounts/signup/",
        {"email": "intruder@example.org", "password1": "x" * 20, "password2": "x" * 20},
    )
    assert not User.objects.filter(email="intruder@example.org").exists()
    assert response.status_code in {200, 403}
