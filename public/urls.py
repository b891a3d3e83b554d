"""The public pages, under /public/: no login, nothing personal."""

from django.urls import path

from public import micro, views

app_name = "public"
urlpatterns = [
    path("", views.communities, name="communities"),
    path("c/<str:code>/", views.community, name="community"),
    path("c/<str:code>/projects/", micro.projects_page, name="projects"),
    path("c/<str:code>/ideas/", micro.send_idea, name="send_idea"),
    path("ideas/<int:idea_id>/hand/", micro.raise_hand, name="raise_hand"),
    path("projects/<int:project_id>/sign-up/", micro.sign_up, name="sign_up"),
    path("projects/<int:project_id>/rating/", micro.rate, name="rate"),
    path("progress-photos/<int:photo_id>/", micro.progress_photo, name="progress_photo"),
    path("matters/<int:matter_id>/", views.matter, name="matter"),
    path("matters/<int:matter_id>/notice/", views.notice, name="notice"),
    path("photos/<int:file_id>/", views.photo, name="photo"),
]
