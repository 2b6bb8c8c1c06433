"""URLs of the clinic's relapse-prevention plan screens (included from clinic/urls.py under the
clinic namespace). The treatment-plan version page hands a relapse-prevention version over to
`rp_views.rp_version_page`; these are the editor's own actions, proposals and the library."""

from django.urls import path

from openiop.clinic import rp_views as views

urlpatterns = [
    path("patients/<str:mrn>/plans/relapse-prevention/", views.rp_plan, name="rp_plan"),
    path("patients/<str:mrn>/plans/relapse-prevention/new-version/", views.start_rp_version,
         name="rp_start_version"),
    path("patients/<str:mrn>/plans/relapse-prevention/<int:version_id>/items/", views.add_rp_item,
         name="rp_add_item"),
    path("patients/<str:mrn>/plans/relapse-prevention/<int:version_id>/items/<int:item_id>/remove/",
         views.remove_rp_item, name="rp_remove_item"),
    path("patients/<str:mrn>/plans/relapse-prevention/<int:version_id>/reasons/", views.save_reasons,
         name="rp_save_reasons"),
    path("patients/<str:mrn>/plans/relapse-prevention/<int:version_id>/sign/", views.sign_rp_version,
         name="rp_sign"),
    path("patients/<str:mrn>/plans/proposals/", views.proposals, name="rp_proposals"),
    path("patients/<str:mrn>/plans/proposals/<int:proposal_id>/accept/", views.accept_proposal,
         name="rp_accept_proposal"),
    path("patients/<str:mrn>/plans/proposals/<int:proposal_id>/discuss/", views.discuss_proposal,
         name="rp_discuss_proposal"),
    path("plans/coping-strategies/", views.coping_strategies, name="coping_strategies"),
]
