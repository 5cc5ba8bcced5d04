"""Pure scoring: item rules, pass rules, sanctions and item statistics."""

from scoring.adjustments import SANCTIONS, apply_sanction
from scoring.analyze import analyze_csv
from scoring.batch import BatchResult, ItemScorer, score_attempts
from scoring.compilation import (
    CandidateOutcome,
    PartOutcome,
    PartSitting,
    ResultChange,
    Sanction,
    compile_candidate,
    result_changes,
)
from scoring.csv_input import AnalyzeInputError, ScoreTable, parse_scores
from scoring.distractors import (
    DistractorReport,
    OptionShare,
    distractor_analysis,
    rank_by_total,
)
from scoring.distribution import histogram, summary
from scoring.item_stats import ExamStats, ItemAnalysis, ItemStats, item_statistics
from scoring.key_changes import KeyChange, amend_key
from scoring.passing import score_part
from scoring.rasch import rasch_mml
from scoring.round_two import Contender, RoundTwoRules, combine, rank_position
from scoring.rounding import percent_half_up, round_half_up
from scoring.rules import MULTI_POLICIES, RULES, score_item
from scoring.text import normalize_answer
from scoring.types import (
    AcceptedAnswer,
    BlankKey,
    ItemKey,
    ItemScore,
    ItemTypeName,
    OptionKey,
    PartResult,
    PassRule,
    Response,
)
from scoring.variant_stats import FlagRules, item_flags, variant_statistics

__all__ = [
    "BatchResult",
    "ItemScorer",
    "rank_by_total",
    "score_attempts",
    "CandidateOutcome",
    "Contender",
    "FlagRules",
    "KeyChange",
    "PartOutcome",
    "PartSitting",
    "ResultChange",
    "RoundTwoRules",
    "Sanction",
    "amend_key",
    "combine",
    "compile_candidate",
    "histogram",
    "item_flags",
    "rank_position",
    "result_changes",
    "summary",
    "variant_statistics",
    "MULTI_POLICIES",
    "RULES",
    "SANCTIONS",
    "AcceptedAnswer",
    "AnalyzeInputError",
    "BlankKey",
    "DistractorReport",
    "ExamStats",
    "ItemAnalysis",
    "ItemKey",
    "ItemScore",
    "ItemStats",
    "ItemTypeName",
    "OptionKey",
    "OptionShare",
    "PartResult",
    "PassRule",
    "Response",
    "ScoreTable",
    "analyze_csv",
    "apply_sanction",
    "distractor_analysis",
    "item_statistics",
    "normalize_answer",
    "parse_scores",
    "percent_half_up",
    "rasch_mml",
    "round_half_up",
    "score_item",
    "score_part",
]
