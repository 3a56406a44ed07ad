"""Label quality: cross-fitted probabilities, likely wrong labels, outliers, near-duplicates."""

from fewlabels.audit.crossfit import CrossFit, crossfit_proba, label_folds
from fewlabels.audit.duplicates import near_duplicates
from fewlabels.audit.label_issues import LabelIssues, rank_label_issues
from fewlabels.audit.outliers import find_outliers, outlier_scores
from fewlabels.audit.result import Audit, AuditRow, DuplicatePair, Outlier, audit_labels

__all__ = [
    "Audit",
    "AuditRow",
    "CrossFit",
    "DuplicatePair",
    "LabelIssues",
    "Outlier",
    "audit_labels",
    "crossfit_proba",
    "find_outliers",
    "label_folds",
    "near_duplicates",
    "outlier_scores",
    "rank_label_issues",
]
