"""Quizzes: reading typed answers, drawing seeded variants, grading, a learner's session, the self-test.

Domain code: no UI imports. Both front ends drive a :class:`QuizSession`, so verdicts are identical.
"""

from ce_tutor.quiz.answers import AnswerError, Reading, parse_answer, read_answer
from ce_tutor.quiz.grading import Feedback, Verdict, format_answer, grade, within_tolerance
from ce_tutor.quiz.selftest import selftest
from ce_tutor.quiz.session import QuizSession, Recorder
from ce_tutor.quiz.variants import Variant, VariantError, draw_variant, variant_seed

__all__ = [
    "AnswerError", "Feedback", "QuizSession", "Reading", "Recorder", "Variant", "VariantError", "Verdict",
    "draw_variant", "format_answer", "grade", "parse_answer", "read_answer", "selftest", "variant_seed",
    "within_tolerance",
]
