"""Settings for the load benchmark: the project's, with the per-address limit and the minimum
form time off (every simulated reporter shares 127.0.0.1)."""

from safesocial.settings import *  # noqa: F403

CONCERNS_REPORTS_PER_HOUR = 0
CONCERNS_FORM_MIN_SECONDS = 0
