"""PDFs of a patient's plan versions for the clinic: the treatment plan (to sign, to hand over)
and the relapse-prevention sheet and wallet card. Drafts print too, marked "DRAFT — not
signed", so a plan can be gone through on paper before it is signed.

A PDF takes the record off the screen, so each download is audited as an export.
"""

from django.http import Http404, HttpResponse

from openiop.accounts.enums import TREATING_ROLES, Role
from openiop.audit import services as audit
from openiop.audit.models import Action
from openiop.clinic.access import shows_patient_data, visible_patient_or_404
from openiop.plans import documents
from openiop.plans.models import PlanVersion

# Plans are clinical content (patients/rules.py): the roles whose chart shows the clinical section.
PLAN_DOCUMENT_ROLES = frozenset({Role.DIRECTOR, *TREATING_ROLES})


def pdf_response(version, document: str, pdf: bytes) -> HttpResponse:
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{documents.filename_for(version, document)}"'
    # A plan is patient data: no shared or browser cache keeps a copy.
    response["Cache-Control"] = "no-store, private"
    return response


def chosen_document(request, version) -> str:
    """?document=plan|sheet|card, the kind's first document when not given; 404 if it does not fit."""
    allowed = documents.documents_for(version)
    document = request.GET.get("document") or allowed[0]
    if document not in allowed:
        raise Http404("This plan does not print as that document")
    return document


def record_pdf_export(user, version, document: str) -> None:
    audit.record(user=user, action=Action.EXPORT, patient=version.patient, obj=version,
                 detail={"format": "pdf", "document": document, "plan": version.plan.kind,
                         "version": version.number, "signed": version.is_signed})


@shows_patient_data(roles=PLAN_DOCUMENT_ROLES)
def version_pdf(request, mrn, version_id):
    patient = visible_patient_or_404(request, mrn, page="plan pdf")
    version = (
        PlanVersion.objects.visible_to(request.user).filter(pk=version_id, patient=patient)
        .select_related("plan", "patient").first()
    )
    if version is None:
        raise Http404("No such plan version")
    document = chosen_document(request, version)
    pdf = documents.render_document(version, document)
    record_pdf_export(request.user, version, document)
    return pdf_response(version, document, pdf)
