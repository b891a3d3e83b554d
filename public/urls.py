"""The public pages, under /public/: no login, nothing personal."""

from django.urls import path

from public import views

app_name = "public"
urlpatterns = [
    path("", views.communities, name="communities"),
    path("c/<str:code>/", views.community, name="community"),
    path("matters/<int:matter_id>/", views.matter, name="matter"),
    path("matters/<int:matter_id>/notice/", views.notice, name="notice"),
]
