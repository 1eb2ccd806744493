"""The words of a survey in the current language: the admin's wording where given, our defaults otherwise."""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import gettext

from survey.models import Survey
from survey.scoring import bucket, score_range
from survey.services.surveys import custom_text


@dataclass(frozen=True)
class SurveyTexts:
    """Everything a score step shows besides the buttons."""

    question: str
    low_label: str
    high_label: str
    scores: list[int]


def default_question(survey: Survey) -> str:
    """The standard question for the survey's kind, naming the product."""
    product = survey.product_name
    if survey.kind == "nps":
        return gettext(
            "How likely are you to recommend %(product)s to a friend or colleague?", product=product
        )
    if survey.kind == "csat":
        return gettext("How satisfied are you with %(product)s?", product=product)
    if survey.kind == "ces":
        return gettext("How easy was it to get what you needed from %(product)s?", product=product)
    return gettext("What should we know about %(product)s?", product=product)


def survey_texts(survey: Survey, locale: str) -> SurveyTexts:
    """Question and scale labels for the score step."""
    question = custom_text(survey, locale, "question") or default_question(survey)
    bounds = score_range(survey.kind)
    scores = list(range(bounds[0], bounds[1] + 1)) if bounds else []
    if survey.kind == "csat":
        low, high = gettext("Very dissatisfied"), gettext("Very satisfied")
    elif survey.kind == "ces":
        low, high = gettext("Very difficult"), gettext("Very easy")
    else:
        low, high = gettext("Not at all likely"), gettext("Extremely likely")
    return SurveyTexts(question=question, low_label=low, high_label=high, scores=scores)


def followup_question(survey: Survey, score: int | None, locale: str) -> str:
    """The open follow-up, worded for the bucket the score falls in."""
    group = bucket(survey.kind, score)
    if group is not None:
        custom = custom_text(survey, locale, group)
        if custom:
            return custom
    product = survey.product_name
    if group == "promoter":
        return gettext("Great to hear! What do you value most about %(product)s?", product=product)
    if group == "passive":
        if survey.kind == "nps":
            return gettext("Thanks! What would make %(product)s a 10 for you?", product=product)
        return gettext("Thanks! What would have made it even better?")
    if group == "detractor":
        return gettext("We're sorry to hear that. What disappointed you?")
    return gettext("What is the main reason for your answer?")
