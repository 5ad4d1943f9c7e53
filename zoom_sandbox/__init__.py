"""A local stand-in for Zoom (development, the demo, tests and benchmarks; never imported by `conecta`).

It speaks Zoom's OAuth (consent, tokens, revocation), the Users and Meetings APIs of one Zoom account
with several users, sends Zoom's signed webhooks, and takes orders from a control API (`/__sandbox/`)
to inject faults, change meetings behind the app's back, and more. Run it with
`python -m zoom_sandbox --port 5050`; the README's "The Zoom sandbox" section describes it all.
"""

from zoom_sandbox.app import create_app

__all__ = ["create_app"]
