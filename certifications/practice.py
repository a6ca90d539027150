"""PTCE practice tests: the four knowledge domains, the weakest one, and readiness.

The PTCE (PTCB's exam, current outline) weights its domains: Medications 40 %, Federal
Requirements 12.5 %, Patient Safety and Quality Assurance 26.25 %, Order Entry and Processing
21.25 %.

Decisions:
- Scores are whole percentages, 0 to 100, as practice-exam sites (Medical Hero and others)
  report them; every attempt records all four domains, since the weakest domain is what a
  technician studies next.
- The weakest domain is the lowest average over the last three attempts (one bad day does not
  decide it); a tie goes to the domain the exam weighs more.
- Ready (the signal a manager uses to book the real exam) means the two latest attempts both
  reached the organisation's pass mark (``OrgPolicy.practice_pass_mark``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import ValidationError

DOMAINS: dict[str, str] = {
    "medications": "Medications",
    "federal_requirements": "Federal Requirements",
    "patient_safety": "Patient Safety and Quality Assurance",
    "order_entry": "Order Entry and Processing",
}
DOMAIN_WEIGHTS: dict[str, Decimal] = {
    "medications": Decimal("40"),
    "federal_requirements": Decimal("12.5"),
    "patient_safety": Decimal("26.25"),
    "order_entry": Decimal("21.25"),
}
WEAKEST_OVER = 3


def clean_percent(value, *, label: str) -> int:
    """A whole percentage 0-100; accepts 78, "78" and 78.0, refuses 78.5, -1, 101, True."""
    if isinstance(value, bool) or value is None or value == "":
        raise ValueError(f"{label}: enter a whole percentage from 0 to 100.")
    try:
        number = Decimal(str(value).strip())
    except Exception:
        raise ValueError(f"{label}: enter a whole percentage from 0 to 100.") from None
    if not number.is_finite() or number != number.to_integral_value() or not 0 <= number <= 100:
        raise ValueError(f"{label}: enter a whole percentage from 0 to 100.")
    return int(number)


def clean_domain_scores(raw) -> dict[str, int]:
    """All four domains, each a whole percentage; raises ``ValidationError`` on ``domain_scores``."""
    if not isinstance(raw, Mapping):
        raise ValidationError({"domain_scores": "Give an object with " + ", ".join(DOMAINS) + "."})
    unknown = sorted(set(raw) - set(DOMAINS))
    missing = [key for key in DOMAINS if key not in raw]
    errors = []
    if unknown:
        errors.append("Unknown domain(s): " + ", ".join(map(str, unknown)) + ".")
    if missing:
        errors.append("Missing domain(s): " + ", ".join(missing) + ".")
    cleaned: dict[str, int] = {}
    for key, label in DOMAINS.items():
        if key in raw:
            try:
                cleaned[key] = clean_percent(raw[key], label=label)
            except ValueError as exc:
                errors.append(str(exc))
    if errors:
        raise ValidationError({"domain_scores": errors})
    return cleaned


@dataclass(frozen=True)
class Attempt:
    taken_on: object
    score: int
    domain_scores: Mapping[str, int]


@dataclass
class PracticeSummary:
    attempts: int
    latest_score: int | None
    ready: bool
    pass_mark: int
    weakest_domain: str | None
    weakest_domain_name: str | None
    weakest_domain_average: float | None
    message: str


def weakest_domain(attempts_newest_first: Sequence[Attempt]) -> tuple[str, float] | None:
    recent = attempts_newest_first[:WEAKEST_OVER]
    if not recent:
        return None
    averages = {key: sum(a.domain_scores.get(key, 0) for a in recent) / len(recent) for key in DOMAINS}
    key = min(DOMAINS, key=lambda k: (averages[k], -DOMAIN_WEIGHTS[k]))
    return key, round(averages[key], 1)


def practice_summary(*, attempts_newest_first: Sequence[Attempt], pass_mark: int) -> PracticeSummary:
    count = len(attempts_newest_first)
    weakest = weakest_domain(attempts_newest_first)
    latest = attempts_newest_first[0].score if count else None
    ready = count >= 2 and all(a.score >= pass_mark for a in attempts_newest_first[:2])
    if count == 0:
        message = "No practice tests yet."
    elif count == 1:
        message = (
            f"One attempt so far ({latest}%); two in a row at {pass_mark}% or more show you are ready for the PTCE."
        )
    else:
        last_two = f"{attempts_newest_first[0].score}% and {attempts_newest_first[1].score}%"
        if ready:
            message = f"Ready to schedule the PTCE: the last two attempts scored {last_two} (pass mark {pass_mark}%)."
        else:
            message = f"Not ready yet: the last two attempts scored {last_two}; both need {pass_mark}% or more."
    return PracticeSummary(
        attempts=count,
        latest_score=latest,
        ready=ready,
        pass_mark=pass_mark,
        weakest_domain=weakest[0] if weakest else None,
        weakest_domain_name=DOMAINS[weakest[0]] if weakest else None,
        weakest_domain_average=weakest[1] if weakest else None,
        message=message,
    )
