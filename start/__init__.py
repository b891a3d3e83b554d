"""The start page: /admin/ opens on the user's own units, their counts and daily links.

Installed as the admin's app config (start.apps.StartAdminConfig, in place of
django.contrib.admin), so admin.site is a StartAdminSite. Nothing imports it.
"""
