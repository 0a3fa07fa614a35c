"""Response shaping: domain rows turned into the response models (app/schemas/) that a given
viewer may see, one module per area. Routers parse, call services and return what these
build, so no router builds a row (tests/test_layering.py checks) and no router imports
another; what a viewer may see of a person is `app/services/visibility.py`'s to decide.
"""

from app.views.matches import match_view, match_views
from app.views.trajectory import evaluation_out, evaluations_view

__all__ = ["evaluation_out", "evaluations_view", "match_view", "match_views"]
