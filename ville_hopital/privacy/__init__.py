"""Privacy rights (GDPR): the personal data export, account erasure, and the retention purge.

See docs/privacy.md for what is kept, why, and for how long.
"""
