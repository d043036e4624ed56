"""Users, roles, unit scopes, second factor, API tokens."""
from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "chinhquyenso.accounts"
    label = "accounts"
    verbose_name = "Tài khoản và phân quyền"

    def ready(self) -> None:
        # Login, failed login and logout are audited from django.contrib.auth's own signals: they are
        # the only hook that also covers the admin site's login. Audit only, no business logic.
        from chinhquyenso.accounts import signals

        signals.connect()
