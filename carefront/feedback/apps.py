from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FeedbackConfig(AppConfig):
    name = "carefront.feedback"
    label = "feedback"
    verbose_name = _("Feedback")

    def ready(self) -> None:
        # Survey responses on the account timeline, their scores as a client health signal, their counts for the
        # scorecards (the registries live in other apps, which import nothing of ours).
        from carefront.feedback.health import register as register_health
        from carefront.feedback.metrics import feedback_counts, feedback_counts_by
        from carefront.feedback.selectors_timeline import register as register_timeline
        from carefront.insights.metrics.providers import survey_provider_register, survey_series_provider_register

        register_timeline()
        register_health()
        survey_provider_register(feedback_counts)
        survey_series_provider_register(feedback_counts_by)
