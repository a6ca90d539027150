"""``imports/certifications/`` and ``imports/ce-credits/`` (hr and admin): the same
all-or-nothing upload as ``imports/technicians/`` (see ``technicians.api.imports``)."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema

from certifications.imports import CE_CREDIT_COLUMNS, CERTIFICATION_COLUMNS, ce_credits_import, certifications_import
from technicians.api.imports import ImportView, import_schema


class CertificationImportView(ImportView):
    """Held certifications, upserted by technician + type + issue date."""

    run = staticmethod(certifications_import)
    columns = CERTIFICATION_COLUMNS

    @extend_schema(
        operation_id="imports_certifications",
        tags=["imports"],
        **import_schema(
            what="held certifications (upsert by technician, type and issue date)", columns=CERTIFICATION_COLUMNS
        ),
    )
    def post(self, request):
        return super().post(request)


class CECreditImportView(ImportView):
    """CE credits, upserted by technician + UAN; topic and audience come from the UAN."""

    run = staticmethod(ce_credits_import)
    columns = CE_CREDIT_COLUMNS

    @extend_schema(
        operation_id="imports_ce_credits",
        tags=["imports"],
        **import_schema(what="CE credits (upsert by technician and UAN)", columns=CE_CREDIT_COLUMNS),
    )
    def post(self, request):
        return super().post(request)
