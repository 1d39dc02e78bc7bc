"""Signing in and out, and the lockout page after too many failures (django-axes)."""

from __future__ import annotations

from django.test import Client
from django.urls import reverse

PASSWORD = "correct-horse-battery-staple"


def test_sign_in_lands_on_home(admin_user):
    client = Client()
    response = client.post(
        reverse("web:login"), {"username": "admin-test", "password": PASSWORD}, follow=True
    )
    assert response.redirect_chain[-1][0] == reverse("web:home")
    assert response.context["user"].is_authenticated


def test_sign_in_returns_to_the_page_asked_for(admin_user):
    client = Client()
    target = reverse("web:record_list", args=["partners"])
    response = client.post(
        f"{reverse('web:login')}?next={target}",
        {"username": "admin-test", "password": PASSWORD, "next": target},
    )
    assert response["Location"] == target


def test_a_wrong_password_shows_a_clear_message(admin_user):
    response = Client().post(reverse("web:login"), {"username": "admin-test", "password": "nope"})
    assert response.status_code == 200
    assert "Please enter a correct username and password" in response.content.decode()
    assert not response.context["user"].is_authenticated


def test_too_many_failures_show_the_lockout_page(admin_user, settings):
    settings.AXES_FAILURE_LIMIT = 3
    client = Client()
    for _ in range(2):
        client.post(reverse("web:login"), {"username": "admin-test", "password": "nope"})
    response = client.post(reverse("web:login"), {"username": "admin-test", "password": "nope"})
    assert response.status_code == 429
    body = response.content.decode()
    assert "Sign-in temporarily locked" in body
    assert "Try again in 15 minutes" in body
    # Even the right password is refused while locked.
    response = client.post(reverse("web:login"), {"username": "admin-test", "password": PASSWORD})
    assert response.status_code == 429


def test_sign_out_needs_a_post_and_ends_the_session(admin_client_web):
    assert admin_client_web.get(reverse("web:logout")).status_code == 405
    response = admin_client_web.post(reverse("web:logout"))
    assert response["Location"] == reverse("web:login")
    assert admin_client_web.get(reverse("web:home")).status_code == 302


def test_a_signed_in_user_skips_the_login_page(admin_client_web):
    assert admin_client_web.get(reverse("web:login"))["Location"] == reverse("web:home")
