"""The medical part in the Django admin: nothing is registered, on purpose.

Medications, reconciliations, adherence notes, drug screens, their results and recovery dates
are patient records. They are read and written only on the clinic and portal screens, where
access is decided by `visible_to(user)` and every read is audited; the system administrator
does not open charts. The models refuse edits and deletes whatever the path (see models.py).
The drug-screen panels and the medication-to-substance table are code (rules.py), reviewed
like code.
"""
