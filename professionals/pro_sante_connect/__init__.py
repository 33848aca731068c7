"""Pro Santé Connect: signing in with the national e-CPS, and the RPPS it vouches for.

An allauth social provider built on its OpenID Connect one (``provider``, ``views``), the claims
read from the identity provider (``claims``), the record of each RPPS PSC vouched for (``models``)
and the writes (``services``). See docs/pro-sante-connect.md.
"""
