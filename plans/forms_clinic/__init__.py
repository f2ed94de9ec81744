"""Forms of the clinician's pages. They validate and normalise; services decide and save.

Every bound below comes from `plans.engine`, so a form cannot accept what the engine refuses.
The pages show several forms at once, so each has a prefix and its ids are unique on the page.
"""

from plans.forms_clinic.alerts import (
    AlertCloseForm,
)
from plans.forms_clinic.base import (
    ACTIVITY_CHOICES,
    STAGE_CHOICES,
    STAGES_HELP,
    stage_gates_help,
)
from plans.forms_clinic.clearance import (
    ApproveForm,
    DecisionReasonForm,
    PrecautionsForm,
    WoundForm,
)
from plans.forms_clinic.patients import (
    ContactForm,
    EnrolForm,
)
from plans.forms_clinic.plan_control import (
    PauseForm,
    ResumeForm,
    StageForm,
)
from plans.forms_clinic.programme import (
    ProgrammeForm,
)
from plans.forms_clinic.rules import (
    RULE_FIELDS,
    RulesForm,
)

__all__ = [
    "ACTIVITY_CHOICES",
    "RULE_FIELDS",
    "STAGES_HELP",
    "STAGE_CHOICES",
    "AlertCloseForm",
    "ApproveForm",
    "ContactForm",
    "DecisionReasonForm",
    "EnrolForm",
    "PauseForm",
    "PrecautionsForm",
    "ProgrammeForm",
    "ResumeForm",
    "RulesForm",
    "StageForm",
    "WoundForm",
    "stage_gates_help",
]
