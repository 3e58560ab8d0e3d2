"""Sign-in rules: who must have a second factor, and who may sign up by themselves."""

from allauth.account.adapter import DefaultAccountAdapter
from django.conf import settings


class AccountAdapter(DefaultAccountAdapter):
    def is_open_for_signup(self, request):
        # Accounts come from registration to a consultation or from the secretariat,
        # never from an open sign-up form.
        return False


def requires_mfa(user) -> bool:
    if not user.is_authenticated:
        return False
    if user.is_superuser:
        return True
    return user.appointments.filter(role__in=settings.PLENARY_MFA_REQUIRED_ROLES).exists()


def has_totp(user) -> bool:
    from allauth.mfa.models import Authenticator

    return Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()
