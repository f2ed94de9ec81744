"""One patient's record as a FHIR R4 Bundle of type collection (DESIGN section 11).

The Bundle holds, for one patient:

- `Patient`: name, date of birth, phone and e-mail, language, and the clinic's record number as
  an identifier (type MR) when it has one;
- `Procedure` per treatment: the treatment type and its date (completed; "preparation" while the
  date is still ahead);
- `CarePlan` per plan: status (active, on-hold when paused, revoked once ended: StepWise ends a
  plan only when it is resumed as a new plan or replaced, never as "completed"), period, one
  activity per allowed activity, the plan it replaces, and the weekly minute goals as `Goal`
  resources it references (one per `PlanWeek`: minutes per session and sessions that week);
- `Goal` per plan week, as above;
- `Observation` per logged session: exercise minutes (LOINC 55411-3 "Exercise duration", in
  UCUM min), with components for the activity (LOINC 73985-4 "Exercise activity"), pain before and
  after exercise (LOINC 72514-3 "Pain severity - 0-10 verbal numeric rating", each with a local
  code saying which), how long raised pain lasted, sharp pain, exertion (Borg 6-20) and warning
  signs. A session the patient corrected is "amended"; one they deleted "entered-in-error".
  Session notes are free text a patient wrote: they are left out unless asked for
  (SECURITY-CHECKS 23);
- `QuestionnaireResponse` per answered questionnaire, with each answer and the score.

Ids are stable: "stepwise-<kind>-<database id>", and each entry's fullUrl is a uuid5 of the
site and that id, so references (urn:uuid:…) resolve inside the Bundle and two calls give the
same document. The builder returns plain dicts (json-ready); tests validate them with the
`fhir.resources` R4B models. 6 queries beside the patient, whatever the length of the history
(tests pin it).
"""

from api.fhir.bundle import build_bundle

__all__ = ["build_bundle"]
