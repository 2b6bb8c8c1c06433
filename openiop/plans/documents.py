"""Printable plans: the treatment plan, the relapse-prevention sheet and the wallet card, as PDFs.

Each document is two steps: `<document>_html(version)` renders a template from
templates/documents/ (what the tests read), and `<document>_pdf(version)` turns that HTML into
PDF bytes with WeasyPrint. WeasyPrint is imported inside `html_to_pdf` only (it is slow to
import, and module-level imports of it are banned by the lint config).

Nothing is ever fetched from the network while rendering: the only base URL is the static
directory, and the URL fetcher refuses anything that is not a file inside it. Fonts come
from the system (DejaVu Sans).

Privacy choices:
- support people appear only where the patient allowed sharing (`patient_allows_sharing`);
- the 42 CFR Part 2 notice is at the foot of every page of a Part 2 record's plan and sheet;
- the wallet card carries no name, MRN, program name or Part 2 notice: a lost card must not
  tell a stranger who it belongs to or that they are in substance-use treatment. The
  program's phone is shown as "My care team".
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit

from django.conf import settings
from django.db.models import Prefetch
from django.template.loader import render_to_string
from django.utils import timezone

from openiop.plans.models import (
    Goal,
    PlanKind,
    PlanVersion,
    RPItemKind,
    SignerRole,
)
from openiop.plans.services import (
    CLINICIAN_ATTESTATION,
    NATIONAL_CRISIS_CONTACT,
    PATIENT_ATTESTATION,
    SUPERVISOR_ATTESTATION,
    weekly_hours,
)
from openiop.privacy.labels import PART2_SHORT_NOTICE

# Which documents each kind of plan prints as (the first is the default).
TREATMENT_PLAN, SHEET, CARD = "plan", "sheet", "card"
DOCUMENTS_BY_KIND = {
    PlanKind.TREATMENT: (TREATMENT_PLAN,),
    PlanKind.RELAPSE_PREVENTION: (SHEET, CARD),
}
# Filenames carry no name or MRN: a downloads folder or an e-mail attachment must not say whose it is.
FILENAME_STEMS = {TREATMENT_PLAN: "treatment-plan", SHEET: "relapse-prevention-plan", CARD: "wallet-card"}
CARD_COPING_LIMIT = 3
CARD_HIGH_RISK_LIMIT = 2
CARD_SUPPORT_LIMIT = 2
NATIONAL_CRISIS_PHONE = NATIONAL_CRISIS_CONTACT["phone"]


def static_dir() -> Path:
    return Path(settings.STATICFILES_DIRS[0])


def documents_for(version) -> tuple[str, ...]:
    return DOCUMENTS_BY_KIND[version.plan.kind]


def filename_for(version, document: str) -> str:
    return f"{FILENAME_STEMS[document]}-v{version.number}.pdf"


def render_document(version, document: str) -> bytes:
    """The PDF of `document` ("plan", "sheet" or "card") for a version of the right kind."""
    if document not in documents_for(version):
        raise ValueError(f"A {version.plan.get_kind_display().lower()} does not print as {document!r}.")
    return {TREATMENT_PLAN: treatment_plan_pdf, SHEET: relapse_prevention_pdf, CARD: wallet_card_pdf}[document](
        version)


# --- loading a version with everything the documents show, in a fixed number of queries --------


def load_version(version_or_pk) -> PlanVersion:
    pk = getattr(version_or_pk, "pk", version_or_pk)
    return (
        PlanVersion.objects.filter(pk=pk)
        .select_related("plan__episode__program__site", "plan__episode__program__organization", "patient",
                        "signed_by")
        .prefetch_related(
            "problems__diagnosis",
            Prefetch("goals", queryset=Goal.objects.select_related("problem").prefetch_related(
                "objectives", "interventions__responsible")),
            "interventions__responsible",
            "service_lines",
            "rp_items__coping_strategy",
            "signatures__signer",
        )
        .get()
    )


# --- shared parts ------------------------------------------------------------------------------


@dataclass(frozen=True)
class SignatureBlock:
    role: str
    title: str
    attestation: str
    signed: bool
    name: str = ""
    signed_at: object = None
    method: str = ""


ATTESTATIONS = {
    SignerRole.CLINICIAN: CLINICIAN_ATTESTATION,
    SignerRole.PATIENT: PATIENT_ATTESTATION,
    SignerRole.SUPERVISOR: SUPERVISOR_ATTESTATION,
}


def signature_blocks(version) -> list[SignatureBlock]:
    """Clinician, patient and (when recorded or needed) supervisor: the recorded signature with
    the words the signer agreed to, or a blank block with the words to sign."""
    recorded = {signature.role: signature for signature in version.signatures.all()}
    roles = [SignerRole.CLINICIAN, SignerRole.PATIENT]
    needs_supervisor = version.signed_by is not None and version.signed_by.requires_cosignature
    if SignerRole.SUPERVISOR in recorded or needs_supervisor:
        roles.append(SignerRole.SUPERVISOR)
    blocks = []
    for role in roles:
        signature = recorded.get(role)
        if signature is None:
            blocks.append(SignatureBlock(role=role, title=SignerRole(role).label, attestation=ATTESTATIONS[role],
                                         signed=False))
            continue
        blocks.append(SignatureBlock(
            role=role, title=SignerRole(role).label, attestation=signature.attestation, signed=True,
            name=signature.typed_name or signature.signer.display_name,
            signed_at=timezone.localtime(signature.signed_at), method=signature.get_method_display(),
        ))
    return blocks


def status_line(version) -> str:
    if version.is_signed:
        signer = version.signed_by.display_name if version.signed_by else "the clinician"
        return f"Signed by {signer} on {timezone.localdate(version.signed_at):%d %B %Y}"
    return "DRAFT — not signed"


def program_phone(program) -> str:
    return program.site.phone or program.organization.phone


def common_context(version) -> dict:
    episode = version.plan.episode
    return {
        "version": version, "patient": version.patient, "episode": episode, "program": episode.program,
        "status_line": status_line(version), "is_draft": not version.is_signed,
        "is_part2": version.is_part2, "part2_notice": PART2_SHORT_NOTICE,
        "printed_on": timezone.localdate(),
    }


def render_html(template: str, context: dict) -> str:
    return render_to_string(f"documents/{template}", context)


# --- treatment plan ----------------------------------------------------------------------------


def treatment_plan_context(version) -> dict:
    version = load_version(version)
    goals = list(version.goals.all())
    interventions = list(version.interventions.all())
    hours = version.weekly_hours if version.weekly_hours is not None else weekly_hours(version)
    return {
        **common_context(version),
        "problems": list(version.problems.all()),
        "goals": goals,
        # Interventions not tied to a goal are listed after the goals.
        "other_interventions": [i for i in interventions if i.goal_id is None],
        "service_lines": list(version.service_lines.all()),
        "weekly_hours": hours,
        "signatures": signature_blocks(version),
    }


def treatment_plan_html(version) -> str:
    return render_html("treatment_plan.html", treatment_plan_context(version))


def treatment_plan_pdf(version) -> bytes:
    return html_to_pdf(treatment_plan_html(version))


# --- relapse-prevention sheet and wallet card -----------------------------------------------------


@dataclass(frozen=True)
class Contact:
    name: str
    phone: str
    note: str = ""


def crisis_contacts(items) -> list[Contact]:
    """The plan's crisis contacts, 988 always first (added if a plan somehow lacks it)."""
    contacts = [Contact(item.name, item.phone, item.text) for item in items if item.kind == RPItemKind.CRISIS_CONTACT]
    national = [c for c in contacts if c.phone.strip() == NATIONAL_CRISIS_PHONE]
    others = [c for c in contacts if c.phone.strip() != NATIONAL_CRISIS_PHONE]
    if not national:
        national = [Contact(NATIONAL_CRISIS_CONTACT["name"], NATIONAL_CRISIS_PHONE, NATIONAL_CRISIS_CONTACT["text"])]
    return national[:1] + others


def shared_supports(items) -> list:
    return [item for item in items if item.kind == RPItemKind.SUPPORT and item.patient_allows_sharing]


def coping_text(item) -> str:
    """The library strategy's name with the patient's own words about it, or whichever there is."""
    name = item.coping_strategy.name if item.coping_strategy is not None else ""
    text = item.text.strip()
    if name and text and text != name:
        return f"{name}: {text}"
    return name or text


def relapse_prevention_context(version) -> dict:
    version = load_version(version)
    items = list(version.rp_items.all())
    of_kind = {kind: [item for item in items if item.kind == kind] for kind in RPItemKind.values}
    return {
        **common_context(version),
        "triggers": of_kind[RPItemKind.TRIGGER],
        "warning_signs": of_kind[RPItemKind.WARNING_SIGN],
        "coping": [coping_text(item) for item in of_kind[RPItemKind.COPING]],
        "high_risk": of_kind[RPItemKind.HIGH_RISK],
        "supports": shared_supports(items),
        "crisis_contacts": crisis_contacts(items),
        "reasons_for_recovery": version.reasons_for_recovery,
    }


def relapse_prevention_html(version) -> str:
    return render_html("relapse_prevention.html", relapse_prevention_context(version))


def relapse_prevention_pdf(version) -> bytes:
    return html_to_pdf(relapse_prevention_html(version))


def wallet_card_context(version) -> dict:
    context = relapse_prevention_context(version)
    contacts = list(context["crisis_contacts"])
    phone = program_phone(context["program"])
    # The program's own crisis-contact row is named after the program; the card says "My care team".
    contacts = [c for c in contacts if c.name != context["program"].name and (not phone or c.phone != phone)]
    if phone:
        contacts.insert(1, Contact("My care team", phone))
    return {
        "coping": context["coping"][:CARD_COPING_LIMIT],
        "high_risk": context["high_risk"][:CARD_HIGH_RISK_LIMIT],
        "crisis_contacts": contacts,
        "supports": context["supports"][:CARD_SUPPORT_LIMIT],
    }


def wallet_card_html(version) -> str:
    return render_html("wallet_card.html", wallet_card_context(version))


def wallet_card_pdf(version) -> bytes:
    return html_to_pdf(wallet_card_html(version))


# --- HTML to PDF, offline -------------------------------------------------------------------------


def html_to_pdf(html: str) -> bytes:
    return html_to_document(html).write_pdf()


def html_to_document(html: str):
    """Lay out with WeasyPrint (a `weasyprint.Document`); only files under the static directory
    may be loaded."""
    import weasyprint

    base = static_dir().resolve()

    class StaticFilesOnly(weasyprint.URLFetcher):
        """Refuses every URL but a file inside the static directory (no network, no other files)."""

        def fetch(self, url, headers=None):
            if not url.startswith("file:"):
                raise ValueError(f"Refusing to fetch {url!r}: documents load local static files only.")
            path = Path(unquote(urlsplit(url).path)).resolve()
            if not path.is_relative_to(base):
                raise ValueError(f"Refusing to read {path}: outside the static directory.")
            return super().fetch(url, headers)

    fetcher = StaticFilesOnly(allowed_protocols={"file"})
    return weasyprint.HTML(string=html, base_url=f"{base}/", url_fetcher=fetcher).render()
