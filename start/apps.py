from django.contrib.admin.apps import AdminConfig


class StartAdminConfig(AdminConfig):
    """django.contrib.admin with its default site replaced, as Django's admin docs describe
    ("Overriding the default admin site"): every admin.site.register lands on it."""

    default_site = "start.sites.StartAdminSite"
