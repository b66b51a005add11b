"""The shared numeric core: every number ce-tutor shows, plots or grades is computed here.

Pure numpy, float64, natural log (nats). It imports nothing from textual, plotext or yaml (a test checks
this in a subprocess, and import-linter contracts in ``pyproject.toml`` guard the layering).
"""

from ce_tutor.core._validate import SUM_TOLERANCE
from ce_tutor.core.grads import (
    cross_entropy_grad_logits,
    neg_log_grad,
    neg_log_grad_raw,
    softmax_slope,
    squared_residual_grad,
    squared_residual_grad_raw,
)
from ce_tutor.core.iris import (
    FEATURES,
    IRIS_X,
    IRIS_Y,
    PARAMETER_NAMES,
    SPECIES,
    IrisNetwork,
    Trajectory,
    gradient_descent,
)
from ce_tutor.core.losses import (
    BITS_PER_NAT,
    binary_cross_entropy,
    bits_to_nats,
    binary_cross_entropy_with_logits,
    cross_entropy,
    cross_entropy_from_logits,
    entropy,
    kl_divergence,
    log_base,
    log_softmax,
    nats_to_bits,
    logsumexp,
    mean_cross_entropy,
    neg_log,
    one_hot,
    sigmoid,
    smooth_labels,
    softmax,
    softplus,
    squared_residual,
    ssr,
    total_cross_entropy,
)

__all__ = [
    "BITS_PER_NAT", "FEATURES", "IRIS_X", "IRIS_Y", "PARAMETER_NAMES", "SPECIES", "SUM_TOLERANCE",
    "IrisNetwork", "Trajectory", "binary_cross_entropy", "binary_cross_entropy_with_logits", "bits_to_nats",
    "cross_entropy", "cross_entropy_from_logits", "cross_entropy_grad_logits", "entropy",
    "gradient_descent", "kl_divergence", "log_base", "log_softmax", "logsumexp", "mean_cross_entropy", "nats_to_bits", "neg_log",
    "neg_log_grad", "neg_log_grad_raw", "one_hot", "softmax_slope", "squared_residual_grad_raw", "sigmoid", "smooth_labels", "softmax", "softplus", "squared_residual", "squared_residual_grad",
    "ssr", "total_cross_entropy",
]
