"""``imports/…/`` endpoints (hr and admin): a multipart ``file`` in, counts or row errors out.

The rules are in ``imports.technicians`` and ``imports.certifications``; these views only read
the upload and the ``dry_run`` flag and shape the answer:

- 200 ``{dry_run, rows, created, updated, unchanged, tier_changes, separations}`` (for a dry
  run the counts of what would change);
- 400 ``{errors: [{row, column, message}], error_count, detail}`` when any row is invalid
  (nothing was written; row 1 is the header), or ``{file: [message]}`` when the file itself
  is missing, too large or of another type;
- 503 when the database failed half-way (the transaction was rolled back: nothing written).
"""

from __future__ import annotations

import logging

from django.db import DatabaseError
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, PolymorphicProxySerializer, extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import ParseError, UnsupportedMediaType
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from careerladder.core.errors import ApplicationError
from imports.certifications import CE_CREDIT_COLUMNS, CERTIFICATION_COLUMNS, ce_credits_import, certifications_import
from imports.technicians import TECHNICIAN_COLUMNS, technicians_import
from technicians.permissions import IsOrgWide

logger = logging.getLogger(__name__)
TRUE_WORDS = {"1", "true", "yes", "on"}


class ImportUploadSerializer(serializers.Serializer):
    file = serializers.FileField(help_text="The CSV (UTF-8) or XLSX file, at most 20 MB; row 1 names the columns.")


class ImportCountsSerializer(serializers.Serializer):
    dry_run = serializers.BooleanField(help_text="True when nothing was written (the counts say what would change).")
    rows = serializers.IntegerField(help_text="Data rows in the file (blank lines not counted).")
    created = serializers.IntegerField()
    updated = serializers.IntegerField()
    unchanged = serializers.IntegerField()
    tier_changes = serializers.IntegerField(help_text="New tier assignments of existing technicians.")
    separations = serializers.IntegerField(help_text="Technicians who became terminated.")


class ImportRowErrorSerializer(serializers.Serializer):
    row = serializers.IntegerField(help_text="Row of the file: 1 is the header, data starts at 2.")
    column = serializers.CharField()
    message = serializers.CharField()


class ImportErrorsSerializer(serializers.Serializer):
    errors = ImportRowErrorSerializer(many=True, help_text="At most 1,000 are listed.")
    error_count = serializers.IntegerField(help_text="Every error found, listed or not.")
    detail = serializers.CharField()


class ImportFileProblemSerializer(serializers.Serializer):
    file = serializers.ListField(child=serializers.CharField())


def _is_true(value: str | None) -> bool:
    return (value or "").strip().lower() in TRUE_WORDS


class ImportView(APIView):
    """Base of the import endpoints; ``run`` is the import service, ``columns`` its columns."""

    permission_classes = [IsOrgWide]
    parser_classes = [MultiPartParser, FormParser]
    # The one input is the file, whose every cell the reader checks for control characters;
    # the request guard leaves these alone so that every refusal keeps the shapes above.
    control_characters_checked = True
    run = None
    columns = None

    def post(self, request):
        try:
            upload = request.FILES.get("file")
        except (UnsupportedMediaType, ParseError):
            upload = None
        if upload is None:
            return Response(
                {"file": ["Send the CSV or XLSX file as multipart/form-data in the field 'file'."]},
                status=status.HTTP_400_BAD_REQUEST,
            )
        service = type(self).run
        try:
            result = service(upload=upload, user=request.user, dry_run=_is_true(request.query_params.get("dry_run")))
        except ApplicationError as exc:
            return Response(exc.as_dict(), status=status.HTTP_400_BAD_REQUEST)
        except DatabaseError:
            logger.exception("Import of %s failed on a database error; rolled back", upload.name)
            return Response(
                {
                    "detail": "The import failed on a database error and was rolled back: nothing was written. Try again."
                },
                status=status.HTTP_503_SERVICE_UNAVAILABLE,
            )
        if not result.ok:
            return Response(result.error_payload(), status=status.HTTP_400_BAD_REQUEST)
        return Response(result.counts())


def import_schema(*, what: str, columns) -> dict:
    """drf-spectacular's description of an import endpoint."""
    optional = f" Optional columns: {', '.join(columns.optional)}." if columns.optional else ""
    return {
        "request": {"multipart/form-data": ImportUploadSerializer},
        "parameters": [
            OpenApiParameter(
                "dry_run",
                OpenApiTypes.BOOL,
                OpenApiParameter.QUERY,
                description="1 or true: validate and count what would change, write nothing.",
            )
        ],
        "responses": {
            200: ImportCountsSerializer,
            400: OpenApiResponse(
                PolymorphicProxySerializer(
                    component_name="ImportRefusal",
                    serializers=[ImportErrorsSerializer, ImportFileProblemSerializer],
                    resource_type_field_name=None,
                ),
                description="Nothing was written: every invalid row ({row, column, message}), or a file problem "
                "({file: [message]}).",
            ),
            403: OpenApiResponse(description="Only HR and administrators import."),
            503: OpenApiResponse(description="A database error; the import was rolled back."),
        },
        "description": (
            f"Import {what} from a CSV (UTF-8) or XLSX file, all or nothing. "
            f"Required columns: {', '.join(columns.required)}.{optional}"
        ),
    }


class TechnicianImportView(ImportView):
    """Technicians from the HR system, upserted by ``employee_id``."""

    run = staticmethod(technicians_import)
    columns = TECHNICIAN_COLUMNS

    @extend_schema(
        operation_id="imports_technicians",
        tags=["imports"],
        **import_schema(what="technicians (upsert by employee_id)", columns=TECHNICIAN_COLUMNS),
    )
    def post(self, request):
        return super().post(request)


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
