"""The patient's own plan PDFs in the portal: their signed treatment plan, relapse-prevention
sheet and wallet card. Only the patient: family members never download the plan (what the
patient shares with them is the patient's choice, made in person). Drafts are not offered:
the portal shows the plan the patient and their clinician agreed.
"""

from django.http import Http404

from openiop.accounts.enums import Role
from openiop.clinic.access import shows_patient_data
from openiop.clinic.plan_document_views import chosen_document, pdf_response, record_pdf_export
from openiop.plans import documents
from openiop.plans.models import PlanVersion, VersionStatus


def own_signed_version(user, version_id) -> PlanVersion:
    """The patient's own signed version, or 404 (someone else's looks exactly like none)."""
    version = (
        PlanVersion.objects.visible_to(user)
        .filter(pk=version_id, patient_id=user.patient_id, status=VersionStatus.SIGNED)
        .select_related("plan", "patient").first()
    )
    if version is None:
        raise Http404("No such plan")
    return version


@shows_patient_data(roles=(Role.PATIENT,), audience="portal")
def plan_pdf(request, version_id):
    version = own_signed_version(request.user, version_id)
    document = chosen_document(request, version)
    pdf = documents.render_document(version, document)
    record_pdf_export(request.user, version, document)
    return pdf_response(version, document, pdf)
