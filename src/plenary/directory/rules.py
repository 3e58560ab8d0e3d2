"""Who may do what with the directory of states.

Everyone may read it: the states page and the API's /states are public reference data.
It is changed in the administration only, under that site's rule (`core.use_admin`, the
secretariat); directory.services take the actor for the audit trail. The directory is
below the consultations, whose roles those rules need, so no rule of its own is here."""
